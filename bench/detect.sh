#!/usr/bin/env bash
# Template-clustering benchmark: `cthub detect cluster` (release) beside datasketch MinHash-LSH
# (5-word shingles, 128 permutations, threshold 0.5, connected components) on planted corpora
# made by `cthub detect corpus`: EMSCAD slot edits, EMSCAD slot + word edits (from
# ../shared/data/emscad-partial, read at run time), a synthetic corpus of the same shape and a
# large synthetic corpus for throughput. Prints corpus, tool, ARI, docs/s and peak RSS
# (/usr/bin/time -v). Corpora are written to a temp dir, never into the repository.
#
# usage: bench/detect.sh      (SKIP_PEERS=1 leaves datasketch out; LARGE=N sets the large corpus' clusters)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${CTHUB_EMSCAD_DIR:-$ROOT/../shared/data/emscad-partial}"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/cthub-detect-bench.XXXXXX")"
VENV="${TMPDIR:-/tmp}/cthub-detect-venv"
LARGE="${LARGE:-5000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "== building cthub (release)"
cargo build --release -q -p cthub-cli
BIN="$CARGO_TARGET_DIR/release/cthub"

PEERS=1
if [ "${SKIP_PEERS:-0}" = 1 ]; then PEERS=0; fi
if [ "$PEERS" = 1 ]; then
  echo "== datasketch (venv in $VENV)"
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  if ! "$VENV/bin/pip" install -q datasketch > "$OUT/pip.log" 2>&1; then
    echo "pip install datasketch failed (see $OUT/pip.log); running cthub only"; PEERS=0
  fi
fi

echo "== corpora in $OUT"
CORPORA=()
if [ -d "$DATA" ]; then
  "$BIN" detect corpus --kind slots --seed 1 --emscad "$DATA" --out "$OUT/emscad-slots.jsonl"
  "$BIN" detect corpus --kind edits --seed 1 --emscad "$DATA" --out "$OUT/emscad-edits.jsonl"
  CORPORA+=(emscad-slots emscad-edits)
else
  echo "SKIPPED: EMSCAD not found in $DATA (synthetic corpora only)"
fi
"$BIN" detect corpus --kind synthetic --seed 1 --out "$OUT/synthetic.jsonl"
"$BIN" detect corpus --kind synthetic --seed 2 --clusters "$LARGE" --singletons "$LARGE" --out "$OUT/synthetic-large.jsonl"
CORPORA+=(synthetic synthetic-large)

rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; print s}' "$1"; }

: > "$OUT/results.jsonl"
record() { # corpus tool docs inner_docs_per_s time_file score_json
  local wall rss
  wall="$(wall_s "$5")"; rss="$(rss_mb "$5")"
  python3 - "$1" "$2" "$3" "$4" "$wall" "$rss" "$6" >> "$OUT/results.jsonl" <<'PY'
import json, sys
corpus, tool, docs, inner, wall, rss, score = sys.argv[1:8]
s = json.loads(score)
print(json.dumps({"corpus": corpus, "tool": tool, "documents": int(docs), "ari": s["ari"],
                  "precision": s["pairwise_precision"], "recall": s["pairwise_recall"],
                  "docs_per_s_process": int(docs) / max(float(wall), 1e-3),
                  "docs_per_s_inner": float(inner), "rss_mb": float(rss), "wall_s": float(wall)}))
PY
}

for c in "${CORPORA[@]}"; do
  f="$OUT/$c.jsonl"
  docs=$(wc -l < "$f")
  echo "== $c ($docs documents): cthub"
  /usr/bin/time -v -o "$OUT/$c.cthub.time" "$BIN" detect cluster "$f" --out "$OUT/$c.cthub.json" --json > "$OUT/$c.cthub.summary"
  inner=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['documents_per_second'])" "$OUT/$c.cthub.summary")
  score=$("$BIN" detect score --truth "$f" --clusters "$OUT/$c.cthub.json" --json | tr -d '\n')
  record "$c" cthub "$docs" "$inner" "$OUT/$c.cthub.time" "$score"
  if [ "$PEERS" = 1 ]; then
    echo "== $c: datasketch"
    /usr/bin/time -v -o "$OUT/$c.ds.time" "$VENV/bin/python" "$ROOT/bench/detect_datasketch.py" "$f" "$OUT/$c.ds.csv" > "$OUT/$c.ds.summary"
    inner=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['documents_per_second'])" "$OUT/$c.ds.summary")
    score=$("$BIN" detect score --truth "$f" --clusters "$OUT/$c.ds.csv" --json | tr -d '\n')
    record "$c" datasketch "$docs" "$inner" "$OUT/$c.ds.time" "$score"
  fi
done

python3 "$ROOT/bench/detect_table.py" "$OUT"
echo "(files in $OUT)"
