#!/usr/bin/env bash
# Fuzzing of the readers of untrusted files with cargo-fuzz (libFuzzer + AddressSanitizer on the
# nightly toolchain): the case-file importer on CSV, XLSX and ODS bytes, the column-mapping
# parser, the GLOTIP importer and the ads ingester. Not part of the test suite. Each target runs
# for a bounded time; the summary line per target gives executions, coverage (edges) and
# whether it found a crash (the input is then in fuzz/artifacts/<target>/).
#   bench/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET...]
# Seeds: the project's own generated demo file and, when ../shared is beside the project, the
# GLOTIP files and EMSCAD ads (read there, copied only into the temporary corpus). The API is
# fuzzed separately by bench/fuzz_api.sh (schemathesis).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(import_csv import_xlsx import_ods mapping glotip ads)
command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked
DATA="$(pwd)/../shared/data"
CORPUS="${TMPDIR:-/tmp}/cthub-fuzz-corpus"
mkdir -p "$CORPUS"
seed() { # target, files...
  local t="$1"; shift
  mkdir -p "$CORPUS/$t"
  for f in "$@"; do [ -f "$f" ] && head -c 200000 "$f" >"$CORPUS/$t/$(basename "$f")" || true; done
}
# the project's own fixtures: a small demo file and a mapping
cargo build -q -p cthub-demo --example gen
target/debug/examples/gen 200 "$CORPUS/demo.csv" 7 >/dev/null
seed import_csv "$CORPUS/demo.csv"
seed import_xlsx "$DATA/glotip/data_glotip_2023-05-30.xlsx"
seed import_ods
# the mapping of the importer's documentation (crates/ingest/src/mapping.rs)
sed -n 's|^//! \{0,1\}||p' crates/ingest/src/mapping.rs | sed -n '/^\[source\]/,/^```/p' | grep -v '^```' >"$CORPUS/mapping.toml"
seed mapping "$CORPUS/mapping.toml"
{ printf '\x00'; head -c 100000 "$DATA/glotip/data_glotip_2023-05-30.csv" 2>/dev/null || true; } >"$CORPUS/glotip-csv"
seed glotip "$CORPUS/glotip-csv"
if ls "$DATA"/emscad-partial/*.csv >/dev/null 2>&1; then
  f=$(ls "$DATA"/emscad-partial/*.csv | head -1)
  { printf '\x00'; head -c 100000 "$f"; } >"$CORPUS/ads-csv"
  seed ads "$CORPUS/ads-csv"
else
  seed ads
fi
cd fuzz
for t in "${TARGETS[@]}"; do cargo +nightly fuzz build -O "$t" 2>&1 | tail -1; done
for t in "${TARGETS[@]}"; do
  log="${TMPDIR:-/tmp}/cthub-fuzz-$t.log"
  set +e
  timeout $((SECS + 120)) cargo +nightly fuzz run -O "$t" "$CORPUS/$t" -- \
    -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  found=$(ls "artifacts/$t" 2>/dev/null | head -3 | tr '\n' ' ')
  printf 'fuzz %-12s %6ss  executions %-9s edges %-6s exit %-3s %s\n' "$t" "$SECS" "$execs" "$cov" "$rc" \
    "${found:+FOUND: $found (fuzz/artifacts/$t)}"
done
