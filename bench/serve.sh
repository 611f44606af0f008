#!/usr/bin/env bash
# Server benchmark: 1,000,000 cases in a SQLite store, `cthub serve` on loopback, then
#  1. each indicator endpoint, warm, 101 sequential requests: median and p99 latency;
#  2. 64 concurrent connections for 20 s with wrk on three indicator URLs: requests/s, latency
#     percentiles, non-2xx responses and socket errors.
# Needs wrk (Debian package `wrk`; installed if missing and root). Not part of the test suite.
#   bench/serve.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
PORT=${PORT:-18080}
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; else echo "install wrk" >&2; exit 1; fi
fi
cargo build --release -p cthub-cli >/dev/null
BIN=$PWD/target/release/cthub
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && pkill -P "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
DB="$WORK/bench.db"
$BIN demo --victims "$ROWS" --kanon-only --out "$WORK/data" >/dev/null
$BIN import "$WORK/data/cthub-synthetic-ctdc-kanon-2018.csv" --database "$DB" --org bench --json >/dev/null
echo "bench admin password" | $BIN user add admin --role admin --database "$DB" >/dev/null
/usr/bin/time -f 'server peak RSS %M KB' $BIN serve --database "$DB" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>"$WORK/serve.err" &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/api/ready" >/dev/null && break; sleep 0.2; done
curl -fs -c "$WORK/cookies" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench admin password"}' "$BASE/api/session" >/dev/null
COOKIE=$(awk '$6=="cthub_session"{print $7}' "$WORK/cookies")
start=$(date +%s.%N)
curl -fs -b "cthub_session=$COOKIE" "$BASE/api/sources" >/dev/null
echo "store: $ROWS cases; analytics table ready after $(python3 -c "print(round($(date +%s.%N)-$start,2))") s (first request after start)"

echo
echo "indicator (source=store, warm)        median ms   p99 ms"
for ind in by_year sex_age exploitation_type labour_sector sex_exploitation_type means_of_control recruiter_relation by_citizenship by_country flows; do
  for q in "" "&sex=Female&year_from=2010"; do
    url="$BASE/api/indicators/$ind?source=store$q"
    curl -fs -b "cthub_session=$COOKIE" "$url" >/dev/null
    for i in $(seq 1 101); do curl -fs -o /dev/null -w '%{time_total}\n' -b "cthub_session=$COOKIE" "$url"; done >"$WORK/t"
    python3 - "$ind${q:+ (filtered)}" "$WORK/t" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[2]))
print(f"{sys.argv[1]:<38} {t[len(t)//2]:8.1f} {t[min(len(t)-1, int(len(t)*0.99))]:8.1f}")
PY
  done
done

echo
cat >"$WORK/multi.lua" <<LUA
local paths = {"/api/indicators/by_year?source=store", "/api/indicators/exploitation_type?source=store&sex=Female", "/api/indicators/flows?source=store"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Cookie"] = "cthub_session=$COOKIE"})
end
LUA
echo "wrk: 64 connections, 2 threads, 20 s, three indicator URLs in turn"
wrk -t2 -c64 -d20s --latency -s "$WORK/multi.lua" "$BASE" | sed -n '1,40p'
pkill -TERM -P "$SERVER" || true; wait "$SERVER" 2>/dev/null || true; SERVER=
tail -1 "$WORK/serve.err"
