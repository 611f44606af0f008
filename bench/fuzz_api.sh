#!/usr/bin/env bash
# Schema-based API fuzzing: schemathesis (from PyPI, in a venv under /tmp) generates requests
# from /api/openapi.json and checks that no response is a 5xx, once as the public and once as an
# admin API token. Not part of the test suite (it needs PyPI); prints schemathesis' summary.
#   bench/fuzz_api.sh [MAX_EXAMPLES]   (the readers of untrusted files: bench/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-40}
PORT=${PORT:-18182}
VENV=${VENV:-/tmp/cthub-fuzz-venv}
[ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q schemathesis; }
cargo build -q -p cthub-cli
BIN=$PWD/target/debug/cthub
WORK=$(mktemp -d)
SERVER=
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
$BIN up --victims 2000 --no-serve --json --out "$WORK/demo" --database "$WORK/hub.db" >"$WORK/up.json"
PASSWORD=$(python3 - "$WORK/up.json" <<'PY'
import json, sys
text, dec, pos, last = open(sys.argv[1]).read(), json.JSONDecoder(), 0, None
while pos < len(text):
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    last, pos = dec.raw_decode(text, pos)
print(last["admin"]["password"])
PY
)
$BIN serve --database "$WORK/hub.db" --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/api/ready" >/dev/null && break; sleep 0.2; done
curl -fs -c "$WORK/ck" -H 'content-type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" "$BASE/api/session" >"$WORK/login.json"
CSRF=$(python3 -c "import json;print(json.load(open('$WORK/login.json'))['csrf_token'])")
TOKEN=$(curl -fs -b "$WORK/ck" -H "x-csrf-token: $CSRF" -H 'content-type: application/json' -d '{"name":"fuzz"}' "$BASE/api/tokens" | python3 -c "import json,sys;print(json.load(sys.stdin)['token'])")
echo "== public"
"$VENV/bin/schemathesis" run "$BASE/api/openapi.json" -c not_a_server_error --max-examples "$N" | tail -12
echo "== admin token (token revocation excluded so the run keeps its credentials)"
"$VENV/bin/schemathesis" run "$BASE/api/openapi.json" -c not_a_server_error --max-examples "$N" \
  -H "Authorization: Bearer $TOKEN" --exclude-path-regex '/api/tokens/\{id\}' | tail -12
