"""Read the outputs of bench/link.sh and print one table with ratios (peer / cthub)."""
import os
import sys

out = sys.argv[1]


def results(name):
    """RESULT lines of one run as {label: {key: value}} plus peak MB and wall seconds."""
    res = {}
    path = os.path.join(out, name + ".out")
    if not os.path.exists(path):
        return res, None, None
    for line in open(path):
        if line.startswith("RESULT"):
            parts = line.split()
            label = parts[1]
            if len(parts) > 2 and "=" in parts[2] and parts[2].startswith(("hardening=", "dedupe")):
                label += ":" + parts[2].split("=", 1)[-1]
            elif label == "dedupe":
                label += ":" + parts[2]
            res[label] = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
    mem = wall = None
    mp = os.path.join(out, name + ".mem")
    if os.path.exists(mp):
        try:
            kb, sec = open(mp).read().split()[-2:]
            mem, wall = int(kb) / 1024, float(sec)
        except ValueError:
            pass
    return res, mem, wall


def f(x, nd=3):
    try:
        return f"{float(str(x).rstrip('M')):.{nd}f}"
    except (TypeError, ValueError):
        return "-"


rows = []
c, cmem, cwall = results("cthub_febrl4")
cf = c.get("febrl4", {})
ctime = float(cf.get("train_s", 0)) + float(cf.get("predict_s", 0)) + float(cf.get("load_s", 0)) if cf else None
rows.append(("cthub-link Fellegi-Sunter", ctime, cmem, cf.get("precision"), cf.get("recall"), cf.get("f1")))
for tool, label in [("splink", "Splink 5 (DuckDB)"), ("recordlinkage", "recordlinkage ECM")]:
    r, mem, wall = results("peer_" + tool)
    d = r.get(tool, {})
    rows.append((label, float(d["time_s"]) if d else None, mem, d.get("precision"), d.get("recall"), d.get("f1")))
p, _, _ = results("cthub_pprl")
p70, pmem, _ = results("cthub_pprl_t70")
pn = p70.get("pprl_febrl4_t70:none", {})
rows.append(("cthub-link CLK + Dice (t=0.70)", float(pn["encode_s"]) + float(pn["link_s"]) if pn else None, pmem,
             pn.get("precision"), pn.get("recall"), pn.get("f1")))
r, mem, wall = results("peer_clkhash_anonlink")
d = r.get("clkhash_anonlink", {})
rows.append(("clkhash + anonlink (t=0.70)", float(d["time_s"]) if d else None, mem, d.get("precision"), d.get("recall"), d.get("f1")))

print()
print("FEBRL4 (5,000 x 5,000)                | time s  | ratio  | peak MB | ratio  | P      | R      | F1")
print("--------------------------------------|---------|--------|---------|--------|--------|--------|-------")
base = {0: (rows[0][1], rows[0][2]), 3: (rows[3][1], rows[3][2])}
for i, (label, t, mem, pp, rr, ff) in enumerate(rows):
    bt, bm = base[0] if i < 3 else base[3]
    tr = f"{t / bt:.1f}x" if t and bt else "-"
    mr = f"{mem / bm:.1f}x" if mem and bm else "-"
    print(f"{label:<38}| {f(t, 2):>7} | {tr:>6} | {f(mem, 0):>7} | {mr:>6} | {f(pp, 4)} | {f(rr, 4)} | {f(ff, 4)}")
print("(ratios: peer / cthub; probabilistic peers vs cthub Fellegi-Sunter, anonlink vs cthub CLK)")

print()
print("Speed, one core:")
dk = p.get("dice", {})
de = p.get("pprl_encode", {})
print(f"  cthub Dice comparisons/s: {dk.get('comparisons_per_s', '-')} (kernel {dk.get('kernel', '-')}); "
      f"length-filtered all-pairs: {p.get('dice_length_filtered', {}).get('effective_pairs_per_s', '-')}")
print(f"  cthub encodings/s: {de.get('encodings_per_s', '-')}")
if d:
    print(f"  anonlink comparisons/s: {d.get('comparisons_per_s', '-')}; clkhash encodings/s: {d.get('encodings_per_s', '-')}")
for k, v in p.items():
    if k.startswith("pprl_febrl4:"):
        print(f"  encoded FEBRL4 {k.split(':')[1]}: best t={v.get('best_threshold')} P {v.get('precision')} R {v.get('recall')} F1 {v.get('f1')}")

print()
print("Deduplication (cthub-link):")
dd, dmem, _ = results("cthub_dedupe")
for k, v in dd.items():
    print(f"  {k.split(':', 1)[-1]}: records {v.get('records')} pairwise P/R/F1 {v.get('pair_p')}/{v.get('pair_r')}/{v.get('pair_f1')} "
          f"cluster P/R/F1 {v.get('cluster_p')}/{v.get('cluster_r')}/{v.get('cluster_f1')} train {v.get('train_s')} s")
m, mmem, mwall = results("cthub_1m")
v = m.get("dedupe_synthetic")
if v:
    print(f"  synthetic: records {v['records']} link {v['link_total_s']} s (generation {v['generate_s']} s), wall {f(mwall, 1)} s, "
          f"peak {f(mmem, 0)} MB, candidate pairs {v['candidate_pairs']}, pairwise F1 {v['pair_f1']}, cluster P/R/F1 "
          f"{v['cluster_p']}/{v['cluster_r']}/{v['cluster_f1']}, threads {v['threads']}")
