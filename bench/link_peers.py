"""FEBRL4 with the Python peers of cthub-link: Splink (DuckDB), recordlinkage (ECM) and
clkhash + anonlink. Same blocking idea as crates/link/examples/febrl4.toml. Prints one
`RESULT <tool> ...` line (time, precision, recall, F1). Run by bench/link.sh.

usage: python link_peers.py splink|recordlinkage|clkhash_anonlink <data dir>
"""
import sys
import time

import pandas as pd


def load(data):
    a = pd.read_csv(f"{data}/dataset4a.csv", skipinitialspace=True, dtype=str)
    b = pd.read_csv(f"{data}/dataset4b.csv", skipinitialspace=True, dtype=str)
    a.columns = [c.strip() for c in a.columns]
    b.columns = [c.strip() for c in b.columns]
    return a, b


def entity(rec_id):
    return rec_id.split("-")[1]


def prf(pairs):
    pairs = list(pairs)
    tp = sum(1 for x, y in pairs if entity(x) == entity(y))
    p = tp / len(pairs) if pairs else 0.0
    r = tp / 5000
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


BLOCKS = [
    ("given_name", "surname"),
    ("surname", "date_of_birth"),
    ("given_name", "date_of_birth"),
    ("soc_sec_id",),
    ("postcode", "street_number"),
    ("date_of_birth",),
    ("address_1",),
    ("surname", "suburb"),
]


def run_splink(data):
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    a, b = load(data)
    t0 = time.time()
    db = DuckDBAPI()
    da = db.register(a, dataset_display_name="a")
    dbb = db.register(b, dataset_display_name="b")
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="rec_id",
        blocking_rules_to_generate_predictions=[block_on(*r) for r in BLOCKS],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("date_of_birth", [1, 2]),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9]),
            cl.JaroWinklerAtThresholds("suburb", [0.9]).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("postcode", [1]),
            cl.ExactMatch("state"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker([da, dbb], settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.9
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    t1 = time.time()
    pred = linker.inference.predict(threshold_match_probability=0.9).as_pandas_dataframe()
    t2 = time.time()
    p, r, f1 = prf(zip(pred["rec_id_l"], pred["rec_id_r"]))
    print(f"RESULT splink time_s={t2 - t0:.3f} train_s={t1 - t0:.3f} predict_s={t2 - t1:.3f} precision={p:.4f} recall={r:.4f} f1={f1:.4f}")


def run_recordlinkage(data):
    import recordlinkage as rl

    a, b = load(data)
    a = a.set_index("rec_id")
    b = b.set_index("rec_id")
    t0 = time.time()
    idx = rl.Index()
    for r in BLOCKS:
        idx.block(list(r))
    pairs = idx.index(a, b)
    c = rl.Compare()
    c.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given_name")
    c.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    c.string("date_of_birth", "date_of_birth", method="levenshtein", threshold=0.85, label="dob")
    c.string("soc_sec_id", "soc_sec_id", method="levenshtein", threshold=0.85, label="ssn")
    c.exact("street_number", "street_number", label="street_number")
    c.string("address_1", "address_1", method="jarowinkler", threshold=0.9, label="address_1")
    c.string("suburb", "suburb", method="jarowinkler", threshold=0.9, label="suburb")
    c.exact("postcode", "postcode", label="postcode")
    c.exact("state", "state", label="state")
    features = c.compute(pairs, a, b)
    ecm = rl.ECMClassifier(binarize=0.5)
    matches = ecm.fit_predict(features)
    t1 = time.time()
    p, r, f1 = prf(list(matches))
    print(f"RESULT recordlinkage time_s={t1 - t0:.3f} precision={p:.4f} recall={r:.4f} f1={f1:.4f}")


def clk_schema():
    def f(name, k):
        return {
            "identifier": name,
            "format": {"type": "string", "encoding": "utf-8"},
            "hashing": {
                "comparison": {"type": "ngram", "n": 2},
                "strategy": {"bitsPerToken": k},
                "hash": {"type": "doubleHash"},
            },
        }

    return {
        "version": 3,
        "clkConfig": {
            "l": 1024,
            "kdf": {"type": "HKDF", "hash": "SHA256", "salt": "c2FsdA==", "info": "aW5mbw==", "keySize": 64},
        },
        "features": [
            {"identifier": "rec_id", "ignored": True},
            f("given_name", 15),
            f("surname", 15),
            f("street_number", 4),
            f("address_1", 6),
            {"identifier": "address_2", "ignored": True},
            f("suburb", 6),
            f("postcode", 6),
            f("state", 2),
            f("date_of_birth", 12),
            f("soc_sec_id", 12),
        ],
    }


def run_clkhash_anonlink(data):
    import anonlink
    from clkhash import clk
    from clkhash.schema import from_json_dict

    a, b = load(data)
    schema = from_json_dict(clk_schema())
    secret = "febrl4 demo secret shared by both parties"
    cols = [x["identifier"] for x in clk_schema()["features"]]
    rows_a = a[cols].fillna("").values.tolist()
    rows_b = b[cols].fillna("").values.tolist()
    t0 = time.time()
    ea = clk.generate_clks(rows_a, schema, secret, validate=False, max_workers=1)
    eb = clk.generate_clks(rows_b, schema, secret, validate=False, max_workers=1)
    t1 = time.time()
    cands = anonlink.candidate_generation.find_candidate_pairs(
        [ea, eb], anonlink.similarities.dice_coefficient, 0.7
    )
    t2 = time.time()
    groups = anonlink.solving.greedy_solve(cands)
    t3 = time.time()
    pairs = []
    for g in groups:
        g = sorted(g)
        if len(g) == 2:
            (_, i), (_, j) = g
            pairs.append((a["rec_id"].iloc[i], b["rec_id"].iloc[j]))
    p, r, f1 = prf(pairs)
    enc_per_s = (len(rows_a) + len(rows_b)) / (t1 - t0)
    cmp_per_s = len(rows_a) * len(rows_b) / (t2 - t1)
    print(
        f"RESULT clkhash_anonlink time_s={t3 - t0:.3f} encode_s={t1 - t0:.3f} compare_s={t2 - t1:.3f} "
        f"encodings_per_s={enc_per_s:.0f} comparisons_per_s={cmp_per_s / 1e6:.0f}M precision={p:.4f} recall={r:.4f} f1={f1:.4f}"
    )


if __name__ == "__main__":
    {"splink": run_splink, "recordlinkage": run_recordlinkage, "clkhash_anonlink": run_clkhash_anonlink}[sys.argv[1]](sys.argv[2])
