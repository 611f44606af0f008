#!/usr/bin/env bash
# Import benchmark: a 1,000,000-row CTDC k-anonymised CSV from `cthub demo` into SQLite and
# PostgreSQL, with a release build. Prints rows/s and peak memory. Not part of the test suite.
#   bench/import.sh [ROWS] [POSTGRES_URL]     (RUNS=3 SQLite runs by default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
PG=${2:-${CTHUB_BENCH_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/test}}
cargo build --release -p cthub-cli >/dev/null
BIN=target/release/cthub
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
$BIN demo --victims "$ROWS" --kanon-only --out "$WORK/data" >/dev/null
FILE="$WORK/data/cthub-synthetic-ctdc-kanon-2018.csv"
echo "file: $ROWS rows, $(du -h "$FILE" | cut -f1)"
sync # the generated file's writeback must not run during the measurements

measure() { # label, database
  local out
  out=$( { /usr/bin/time -f 'PEAK_KB %M' "$BIN" import "$FILE" --database "$2" --org bench --json >"$WORK/out.json"; } 2>&1 | grep PEAK_KB || true)
  local rps secs
  rps=$(python3 -c "import json;d=json.load(open('$WORK/out.json'))[0];print(round(d['rows_per_second']))")
  secs=$(python3 -c "import json;d=json.load(open('$WORK/out.json'))[0];print(round(d['seconds'],2))")
  local kb=${out#PEAK_KB }
  printf '%-10s %10s rows  %8ss  %10s rows/s  peak %6s MiB\n' "$1" "$ROWS" "$secs" "$rps" "$((kb / 1024))"
}

RUNS=${RUNS:-3}
for i in $(seq 1 "$RUNS"); do
  rm -f "$WORK"/bench.db*
  measure "sqlite #$i" "$WORK/bench.db"
  sync
done
if psql "$PG" -qc 'select 1' >/dev/null 2>&1; then
  SCHEMA="bench_$$"
  psql "$PG" -qc "create schema $SCHEMA" >/dev/null
  measure postgres "$PG?schema=$SCHEMA"
  psql "$PG" -qc "drop schema $SCHEMA cascade" >/dev/null 2>&1
  psql "$PG" -qc "create schema $SCHEMA" >/dev/null
  measure "postgres #2" "$PG?schema=$SCHEMA"
  psql "$PG" -qc "drop schema $SCHEMA cascade" >/dev/null 2>&1
else
  echo "postgres: not reachable at $PG; skipped"
fi
