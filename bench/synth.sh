#!/usr/bin/env bash
# DP synthetic data benchmark: cthub's synthesiser vs pac-synth (PyPI) on Adult (eps=1), the
# CTDC Victim-Perpetrator file (eps=4), the demo generator's long-tail population (50,000
# victims, ~140 citizenships x ~160 countries of exploitation, eps=1) and the demo population
# (200,000 victims, eps=1), delta=1e-9 for both tools. On the two generated populations cthub
# declares the flows (citizenship -> country of exploitation) as its workload, as
# `cthub release synthetic` does. Prints one table: time, peak memory (/usr/bin/time %M), mean
# TVD by length, single values kept, blank cells, rare-combination leakage, then the flow figures
# (TVD, share of synthetic flow records on pairs absent from the input, true top 10 / top 5 kept)
# and pac-synth/cthub ratios. AIM (smartnoise-synth) is too heavy to install here: its figures
# are quoted from PEERS.md.
# cthub (junction-tree model fitted to all noisy marginals, rare-cell cut max(0.15σ₃, 4)), measured
# over 40 runs of `synth_adult` on Adult eps=1: 2-way TVD 0.0349-0.0404 (median ~0.037), 3-way
# 0.0786-0.0866 (median ~0.081), 38/40 runs within AIM's 0.040/0.097, rare leakage ~0.54,
# 0.15-0.2 s per run. VP eps=4 (5 runs): 2-way ~0.037, 3-way ~0.081, rare leakage ~0.69
# (0.39 with `--rare-cut 1`, TVD unchanged but 60/69 single values kept instead of 65). Pass extra synth_adult flags with CTHUB_SYNTH_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$(pwd)/../shared/data"
ADULT="$DATA/adult-arx/adult.csv"
VP="$DATA/ctdc-vp-synthetic/CTDC_VPsynthetic_condensed.csv"
TMP="${TMPDIR:-/tmp}"
OUT="$(mktemp -d "$TMP/cthub-synth.XXXXXX")"
VENV="$TMP/cthub-bench-venv"
DELTA=1e-9
FLOWS=citizenship:CountryOfExploitation
# the dashboard's figures and a few more columns (as the long-tail test in dp_synth.rs)
COLUMNS=yearOfRegistration,gender,ageBroad,citizenship,CountryOfExploitation,isForcedLabour,isSexualExploit,meansOfControlDebtBondage,recruiterRelationFriend

cargo build --release -q -p cthub-privacy --example synth_adult --example evaluate_tables
cargo build --release -q -p cthub-demo --example gen
BIN=target/release/examples
"$BIN/gen" 50000 "$OUT/longtail.csv" 2002 --long-tail --columns "$COLUMNS" >/dev/null
"$BIN/gen" 200000 "$OUT/demo.csv" 2002 --columns "$COLUMNS" >/dev/null
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time not found, memory not measured"; TIME=""; }

run_mem() { # file, command...
  local mem="$1"; shift
  if [ -n "$TIME" ]; then "$TIME" -f %M -o "$mem" "$@"; else "$@"; fi
}

have_pac=1
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pacsynth" 2>/dev/null; then
  echo "bench: creating $VENV and installing pac-synth from PyPI ..."
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q pac-synth; }; then
    echo "bench: pac-synth could not be installed; quoting PEERS.md for it instead"
    have_pac=0
  fi
fi

for spec in "adult|$ADULT|;|1|" "vp|$VP|,|4|" "longtail|$OUT/longtail.csv|,|1|$FLOWS" "demo|$OUT/demo.csv|,|1|$FLOWS"; do
  IFS='|' read -r name path delim eps flows <<<"$spec"
  if [ ! -f "$path" ]; then echo "bench: SKIPPED $name: $path not found"; continue; fi
  # shellcheck disable=SC2206 # CTHUB_SYNTH_ARGS is a list of flags
  ours_args=(${CTHUB_SYNTH_ARGS:-})
  eval_args=()
  if [ -n "$flows" ]; then ours_args+=(--workload "$flows"); eval_args+=(--indicator "$flows"); fi
  echo "bench: $name eps=$eps: cthub ..."
  run_mem "$OUT/ours_$name.mem" "$BIN/synth_adult" --input "$path" --delimiter "$delim" \
    --epsilon "$eps" --delta "$DELTA" --output "$OUT/ours_$name.csv" "${ours_args[@]}" >"$OUT/ours_$name.json"
  "$BIN/evaluate_tables" "$path" "$delim" "$OUT/ours_$name.csv" "$delim" "${eval_args[@]}" >"$OUT/ours_${name}_eval.json"
  if [ "$have_pac" = 1 ]; then
    echo "bench: $name eps=$eps: pac-synth ..."
    if run_mem "$OUT/pac_$name.mem" "$VENV/bin/python" bench/pacsynth_run.py "$path" "$delim" "$eps" "$DELTA" \
      "$OUT/pac_$name.csv" >"$OUT/pac_$name.json"; then
      "$BIN/evaluate_tables" "$path" "$delim" "$OUT/pac_$name.csv" "$delim" "${eval_args[@]}" >"$OUT/pac_${name}_eval.json"
    else
      echo "bench: pac-synth failed on $name"
    fi
  fi
done
echo
python3 bench/synth_table.py "$OUT"
echo "(outputs in $OUT; cthub's memory includes reading and evaluating, its time is synthesis only)"
