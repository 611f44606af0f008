#!/usr/bin/env bash
# Record-linkage benchmark: cthub-link beside Splink (DuckDB), recordlinkage (ECM) and
# clkhash + anonlink on FEBRL4 (same blocking idea), plus cthub-only figures (Dice speed,
# encodings/s, fake_1000, historical figures, a 1,000,000-record deduplication).
# Prints one table with ratios (peer / cthub): time, peak memory (/usr/bin/time -f %M), P/R/F1.
#
# usage: bench/link.sh            (SKIP_1M=1 to leave out the 1M dedupe, SKIP_PEERS=1 the Python peers)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${CTHUB_LINK_DATA:-$ROOT/../shared/data/splink-datasets}"
OUT="${TMPDIR:-/tmp}/cthub-link-bench"
VENV="${TMPDIR:-/tmp}/cthub-link-venv"
mkdir -p "$OUT"
if [ ! -f "$DATA/dataset4a.csv" ]; then
  echo "SKIPPED: FEBRL4 not found in $DATA"; exit 0
fi

timed() { # name, command...: stdout to $OUT/name.out, peak KB to $OUT/name.mem
  local name="$1"; shift
  /usr/bin/time -f "%M %e" -o "$OUT/$name.mem" "$@" > "$OUT/$name.out" 2> "$OUT/$name.err" || {
    echo "FAILED: $name (see $OUT/$name.err)"; tail -5 "$OUT/$name.err"; return 0; }
}

echo "== building cthub-link examples (release)"
cargo build --release -q -p cthub-link --example febrl4 --example pprl_febrl4 --example dedupe --example dedupe_synthetic
BIN="$ROOT/target/release/examples"

echo "== cthub-link"
timed cthub_febrl4 "$BIN/febrl4"
timed cthub_pprl_t70 "$BIN/pprl_febrl4" 0.7
timed cthub_pprl "$BIN/pprl_febrl4"
timed cthub_dedupe "$BIN/dedupe"
if [ "${SKIP_1M:-0}" != 1 ]; then timed cthub_1m "$BIN/dedupe_synthetic" 600000; fi

PEERS_OK=1
if [ "${SKIP_PEERS:-0}" != 1 ]; then
  echo "== python peers (venv in $VENV)"
  if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
  if ! "$VENV/bin/pip" install -q splink recordlinkage clkhash anonlink duckdb > "$OUT/pip.log" 2>&1; then
    PEERS_OK=0
    echo "pip install failed (see $OUT/pip.log); published figures from PEERS.md:"
    grep -A6 '^## Record linkage' "$ROOT/../shared/docs/PEERS.md" || true
  fi
  if [ "$PEERS_OK" = 1 ]; then
    for tool in splink recordlinkage clkhash_anonlink; do
      timed "peer_$tool" "$VENV/bin/python" "$ROOT/bench/link_peers.py" "$tool" "$DATA"
    done
  fi
fi

python3 "$ROOT/bench/link_table.py" "$OUT"
