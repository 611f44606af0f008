"""Prints the comparison table of bench/synth.sh from the JSON files in the directory given."""
import json
import os
import sys

d = sys.argv[1]


def load(name):
    p = os.path.join(d, name)
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        return None
    with open(p) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def mem(name):
    p = os.path.join(d, name)
    try:
        with open(p) as f:
            return int(f.read().strip().splitlines()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


rows = []
DATASETS = (("adult", 1), ("vp", 4), ("longtail", 1), ("demo", 1))
for data, eps in DATASETS:
    ours = load(f"ours_{data}.json")
    ours_eval = load(f"ours_{data}_eval.json")
    pac = load(f"pac_{data}.json")
    pac_eval = load(f"pac_{data}_eval.json")
    for name, run, ev, m in (
        ("cthub", ours, ours_eval, mem(f"ours_{data}.mem")),
        ("pac-synth", pac, pac_eval, mem(f"pac_{data}.mem")),
    ):
        if ev is None:
            continue
        secs = None if run is None else run.get("seconds", run.get("seconds_synthesize"))
        rows.append((data, eps, name, secs, m, ev))

print(f"{'data':9} {'eps':>3} {'tool':10} {'seconds':>8} {'peak MB':>8} {'TVD1':>7} {'TVD2':>7} {'TVD3':>7} {'values kept':>12} {'blank':>6} {'rare leak':>9}")
for data, eps, name, secs, m, ev in rows:
    print(
        f"{data:9} {eps:>3} {name:10} {fmt(secs, '8.2f')} {fmt(m, '8.0f')} {ev['tvd_1']:7.4f} {ev['tvd_2']:7.4f} {ev['tvd_3']:7.4f}"
        f" {str(ev['single_values_out']) + '/' + str(ev['single_values_in']):>12} {ev['blank_cell_share']:6.3f} {ev['rare_leakage_share']:9.3f}"
    )
for data, _ in DATASETS:
    pick = {r[2]: r for r in rows if r[0] == data}
    if "cthub" in pick and "pac-synth" in pick:
        a, b = pick["cthub"], pick["pac-synth"]
        ratio = lambda x, y: "-" if x is None or y is None or x == 0 else f"{y / x:.1f}x"
        print(
            f"{data}: pac-synth/cthub time {ratio(a[3], b[3])}, memory {ratio(a[4], b[4])}, "
            f"TVD2 {ratio(a[5]['tvd_2'], b[5]['tvd_2'])}, TVD3 {ratio(a[5]['tvd_3'], b[5]['tvd_3'])}"
        )
flow_rows = [(d, e, n, ev["indicators"][k]) for d, e, n, _, _, ev in rows for k in ev.get("indicators", {})]
if flow_rows:
    print()
    print("flows (citizenship -> country of exploitation); targets on longtail: TVD <= 0.15, fabricated <= 5%, top 10 10/10; demo: top 5 5/5")
    print(f"{'data':9} {'eps':>3} {'tool':10} {'flow TVD':>9} {'fabricated':>10} {'top10 kept':>10} {'top5 kept':>9} {'pairs in/out':>13}")
    for d, e, n, f in flow_rows:
        print(
            f"{d:9} {e:>3} {n:10} {f['tvd']:9.3f} {100 * f['fabricated_record_share']:9.1f}% {f['top_10_kept']:>7}/10 {f['top_5_kept']:>7}/5"
            f" {str(f['sensitive_cells']) + '/' + str(f['synthetic_cells']):>13}"
        )
    for d, _ in DATASETS:
        pick = {n: f for dd, _, n, f in flow_rows if dd == d}
        if "cthub" in pick and "pac-synth" in pick:
            a, b = pick["cthub"], pick["pac-synth"]
            r = lambda x, y: "-" if x == 0 else f"{y / x:.1f}x"
            print(f"{d}: pac-synth/cthub flow TVD {r(a['tvd'], b['tvd'])}, fabricated share {r(a['fabricated_record_share'], b['fabricated_record_share'])}")
print("PEERS.md (not rerun): smartnoise-synth 1.0.8 AIM on Adult eps=1: 318 s, 3.8 GB, TVD 0.0045 / 0.040 / 0.097;")
print("                      pac-synth 0.0.8 (PEERS run): 30 s, 336 MB, TVD 0.053 / 0.141 / 0.220; independent baseline TVD2 0.081")
