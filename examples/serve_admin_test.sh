#!/usr/bin/env bash
# The demo as a real process, read with the real tools: starts `arbiter_demo --serve` with its admin server on a
# free port (admin.port=0), finds the port in its log, reads every endpoint with curl (health+json field by field),
# runs `promtool check metrics` on /metrics, sends malformed and hostile requests on raw sockets (hostile_clients.py),
# then sends SIGTERM and expects /readyz to answer 503 while the service drains, and a clean exit (code 0). Every
# wait is bounded.
# Usage: serve_admin_test.sh path/to/arbiter_demo path/to/curl path/to/promtool
set -u
program=$1 curl=$2 promtool=$3
out=$(mktemp)
body=$(mktemp)
trap 'rm -f "$out" "$body"' EXIT

name=serve_admin_test
source "$(dirname "$0")/process_test_lib.sh"
# shutdown.timeout=10s gives a readiness grace of 1 s (the most it gets): time enough to see /readyz say 503 before
# intake stops.
serve_demo admin.port=0 shutdown.timeout=10s observability.tracing_enabled=false

# get PATH EXPECTED_STATUS [curl args...]: the body goes to $body.
get() {
  local path=$1 want=$2
  shift 2
  local status
  status=$("$curl" -sS --max-time 10 -o "$body" -w '%{http_code}' "$@" "$base$path") || fail "curl $path failed"
  [ "$status" = "$want" ] || fail "GET $path answered $status, expected $want: $(cat "$body")"
}

# The probes are answered from the health schedule's results: wait for its first runs (a loaded machine may take
# a while), then every probe must pass.
ready() {
  [ "$("$curl" -sS --max-time 2 -o /dev/null -w '%{http_code}' "$base/startupz" 2>/dev/null)" = 200 ] &&
    "$curl" -sS --max-time 2 -H 'Accept: application/health+json' "$base/readyz" 2>/dev/null | grep -q '"status":"pass"'
}
wait_for 20 ready || fail "/startupz and /readyz did not both pass within 20 s"
for path in /livez /readyz /startupz /health/live /health/ready /health/started; do get "$path" 200; done
get /readyz 200 -H 'Accept: application/health+json'
python3 - "$body" <<'PY' || fail "/readyz health+json: $(cat "$body")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["status"] == "pass", doc
assert doc["serviceId"] == "orders", doc
checks = doc["checks"]
assert "inventory:circuit_breaker" in checks, checks
assert all(entry["status"] in ("pass", "warn", "fail") for v in checks.values() for entry in v), checks
PY
get /health 200
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "orders:intake" in d["checks"], d' "$body" ||
  fail "/health lists no orders:intake check: $(cat "$body")"
get /metrics 200
"$promtool" check metrics <"$body" || fail "promtool rejects /metrics"
grep -q '^arbiter_breaker_calls_total{breaker="inventory",outcome="success"} [1-9]' "$body" ||
  fail "/metrics counts no successful inventory call"
get /metrics 200 -H 'Accept: application/openmetrics-text; version=1.0.0'
tail -n 1 "$body" | grep -qx '# EOF' || fail "OpenMetrics /metrics does not end with # EOF"
get /config 200
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$body" || fail "/config is not JSON: $(cat "$body")"
grep -q '"admin.port"\|"port"' "$body" || fail "/config does not show the admin port"
get /breakers 200
grep -q '"inventory"' "$body" || fail "/breakers does not show the inventory breaker"
get / 200
grep -q 'inventory' "$body" || fail "the status page does not show the inventory breaker"
get /nowhere 404
# Malformed and hostile requests on raw sockets: each gets its 4xx and the server goes on serving.
python3 "$(dirname "$0")/hostile_clients.py" "$port" || fail "a hostile request was not answered as it should be"

kill -TERM "$pid"
saw_503=false
for _ in $(seq 1 100); do
  status=$("$curl" -sS --max-time 2 -o /dev/null -w '%{http_code}' "$base/readyz" 2>/dev/null) || break
  if [ "$status" = 503 ]; then saw_503=true; break; fi
  sleep 0.02
done
$saw_503 || fail "/readyz never answered 503 during the shutdown"
expect_clean_exit
grep -q "shutdown complete: clean" "$out" || fail "no clean shutdown"
echo "serve_admin_test: passed (admin server on port $port)"
