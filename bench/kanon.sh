#!/usr/bin/env bash
# k-anonymity benchmark on ARX's Adult data (8 quasi-identifiers, ARX's hierarchies):
# cthub-privacy's optimal search vs anjana (PyPI), k=5 with a 5% suppression limit, discernibility.
# Prints time, peak memory, suppressed records and discernibility of both, with ratios.
# Not part of the test suite.
#   bench/kanon.sh [K] [SUPPRESSION_FRACTION]
set -euo pipefail
cd "$(dirname "$0")/.."
K=${1:-5}
SUPP=${2:-0.05}
DATA=$(cd .. && pwd)/shared/data/adult-arx
if [ ! -f "$DATA/adult.csv" ]; then
  echo "Adult data not found at $DATA; nothing to measure"
  exit 0
fi
TMP=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$TMP/kanon-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

cargo build --release -p cthub-privacy --example kanon_adult >/dev/null 2>&1
BIN=target/release/examples/kanon_adult
"$BIN" "$DATA" "$K" "$SUPP" >/dev/null # warm the page cache
/usr/bin/time -f 'PEAK_KB %M' -o "$WORK/cthub.time" "$BIN" "$DATA" "$K" "$SUPP" >"$WORK/cthub.json"

field() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
peak() { sed -n 's/^PEAK_KB //p' "$1"; }

C_MS=$(field "$WORK/cthub.json" anonymise_ms)
C_SUPP=$(field "$WORK/cthub.json" suppressed)
C_DM=$(field "$WORK/cthub.json" metric_value)
C_KB=$(peak "$WORK/cthub.time")

VENV="$TMP/cthub-kanon-venv"
A_OK=0
if [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >/dev/null 2>&1; then
  if "$VENV/bin/pip" install -q anjana pycanon pandas >"$WORK/pip.log" 2>&1; then
    A_OK=1
  fi
fi

printf '%-22s %10s %10s %11s %16s\n' tool "time (s)" "peak MiB" suppressed discernibility
printf '%-22s %10.3f %10d %11s %16.4e\n' "cthub-privacy (optimal)" "$(echo "$C_MS / 1000" | bc -l)" \
  "$((C_KB / 1024))" "$C_SUPP" "$C_DM"
if [ "$A_OK" = 1 ]; then
  SUPP_PCT=$(python3 -c "print($SUPP * 100)")
  /usr/bin/time -f 'PEAK_KB %M' -o "$WORK/anjana.time" \
    "$VENV/bin/python" bench/kanon_anjana.py "$DATA" "$K" "$SUPP_PCT" >"$WORK/anjana.json"
  A_S=$(field "$WORK/anjana.json" seconds)
  A_SUPP=$(field "$WORK/anjana.json" suppressed)
  A_DM=$(field "$WORK/anjana.json" discernibility)
  A_KB=$(peak "$WORK/anjana.time")
  printf '%-22s %10.3f %10d %11s %16.4e\n' "anjana 1.2 (greedy)" "$A_S" "$((A_KB / 1024))" "$A_SUPP" "$A_DM"
  python3 - "$C_MS" "$C_KB" "$C_SUPP" "$C_DM" "$A_S" "$A_KB" "$A_SUPP" "$A_DM" <<'PY'
import sys
c_ms, c_kb, c_supp, c_dm, a_s, a_kb, a_supp, a_dm = map(float, sys.argv[1:])
print(f"{'ratio anjana/cthub':<22} {a_s * 1000 / c_ms:10.1f} {a_kb / c_kb:10.1f} "
      f"{a_supp / max(c_supp, 1):11.1f} {a_dm / c_dm:16.2f}")
PY
else
  echo "anjana: pip install failed (see below); PEERS.md's figure for anjana 1.2.3 on this data,"
  echo "k=5, 5% suppression: 3.5 s, 1,178 suppressed, discernibility 5.33e7"
  tail -5 "$WORK/pip.log" || true
fi
echo "ARX 3.9 (PEERS.md, same data and settings): 0.63 s, 60 suppressed, discernibility 9.27e6"
echo "anjana's time is its k_anonymity call only (data and hierarchies loaded before); cthub's"
echo "anonymise_ms covers preparation, search and transformation (CSV loading excluded); peak"
echo "memory is the whole process (Python interpreter and pandas included for anjana)."
