"""Print the table of bench/detect.sh from its result files (one JSON object per run)."""
import json
import os
import sys

out = sys.argv[1]
rows = [json.loads(line) for line in open(os.path.join(out, "results.jsonl")) if line.strip()]
print()
print("| corpus | documents | tool | ARI | pairwise P / R | docs/s (process) | docs/s (clustering) | peak RSS |")
print("|---|---|---|---|---|---|---|---|")
by_corpus = {}
for r in rows:
    by_corpus.setdefault(r["corpus"], {})[r["tool"]] = r
    print(
        f"| {r['corpus']} | {r['documents']:,} | {r['tool']} | {r['ari']:.3f} | "
        f"{r['precision']:.3f} / {r['recall']:.3f} | {r['docs_per_s_process']:,.0f} | "
        f"{r['docs_per_s_inner']:,.0f} | {r['rss_mb']:.0f} MB |"
    )
print()
for corpus, tools in by_corpus.items():
    c, p = tools.get("cthub"), tools.get("datasketch")
    if c and p:
        print(
            f"{corpus}: ARI cthub {c['ari']:.3f} vs datasketch {p['ari']:.3f}; "
            f"speed cthub/datasketch {c['docs_per_s_process'] / p['docs_per_s_process']:.1f}x (process), "
            f"{c['docs_per_s_inner'] / p['docs_per_s_inner']:.1f}x (clustering); "
            f"memory datasketch/cthub {p['rss_mb'] / c['rss_mb']:.1f}x"
        )
print("InfoShield (PEERS.md, not rerun: research code, not on PyPI): ARI 0.65 slot edits, 0.21 word insert/delete; ~450 docs/s first stage.")
