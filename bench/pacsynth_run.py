"""Runs pac-synth (Synthetic Data Showcase's DP aggregate-seeded synthesiser) on a delimited file.

usage: pacsynth_run.py INPUT DELIM EPSILON DELTA OUTPUT
Writes the synthetic records to OUTPUT (same delimiter) and prints one JSON line with the time
spent in fit + sample.
"""
import csv
import json
import sys
import time

import pacsynth


def main() -> None:
    path, delim, epsilon, delta, output = sys.argv[1:6]
    with open(path, newline="", encoding="utf-8") as f:
        raw = [[c.strip() for c in row] for row in csv.reader(f, delimiter=delim)]
    t0 = time.perf_counter()
    dataset = pacsynth.Dataset(raw)
    params = (
        pacsynth.DpAggregateSeededParametersBuilder()
        .reporting_length(3)
        .epsilon(float(epsilon))
        .delta(float(delta))
        .build()
    )
    synth = pacsynth.DpAggregateSeededSynthesizer(params)
    synth.fit(dataset)
    sample = synth.sample()
    seconds = time.perf_counter() - t0
    rows = sample.to_raw_data() if hasattr(sample, "to_raw_data") else sample
    with open(output, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delim)
        # keep the input's column order
        header = rows[0]
        order = [header.index(h) for h in raw[0]]
        w.writerow(raw[0])
        for r in rows[1:]:
            w.writerow([r[i] if i < len(r) else "" for i in order])
    print(json.dumps({"seconds": seconds, "rows_out": len(rows) - 1}))


if __name__ == "__main__":
    main()
