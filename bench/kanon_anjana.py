"""anjana's k-anonymity on ARX's Adult data with ARX's hierarchies; prints JSON figures.

Used by bench/kanon.sh:  python kanon_anjana.py DATA_DIR K SUPPRESSION_PERCENT
Discernibility is computed as ARX (and cthub) define it: sum of |E|^2 over the released
classes plus |D| for each suppressed record (anjana drops suppressed rows).
"""
import contextlib
import io
import json
import sys
import time

import pandas as pd
from anjana.anonymity import k_anonymity

data_dir, k, supp = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = pd.read_csv(f"{data_dir}/adult.csv", sep=";", dtype=str)
qis = [c for c in data.columns if c != "salary-class"]
hierarchies = {}
for qi in qis:
    h = pd.read_csv(f"{data_dir}/adult_hierarchy_{qi}.csv", sep=";", header=None, dtype=str)
    hierarchies[qi] = {i: h[i].values for i in h.columns}

start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    out = k_anonymity(data, [], qis, k, supp, hierarchies)
seconds = time.perf_counter() - start

n = len(data)
suppressed = n - len(out)
sizes = out.groupby(qis, dropna=False).size() if len(out) else pd.Series(dtype=int)
discernibility = float((sizes.astype(float) ** 2).sum() + suppressed * n)
print(json.dumps({
    "seconds": seconds,
    "suppressed": int(suppressed),
    "discernibility": discernibility,
    "classes": int(len(sizes)),
    "min_class": int(sizes.min()) if len(sizes) else 0,
}))
