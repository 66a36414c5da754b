#!/usr/bin/env bash
# Starts `arbiter_demo --serve` with a config file, waits for its "serving" line, changes the file and sends SIGHUP
# (expects a reload, not an exit), then sends SIGTERM and expects a clean graceful shutdown (exit code 0,
# "shutdown complete"). Every wait is bounded. Usage: serve_sigterm_test.sh path/to/arbiter_demo
set -u
program=$1
out=$(mktemp)
config=$(mktemp --suffix=.json)
trap 'rm -f "$out" "$config"' EXIT
echo '{"observability": {"log_level": "info"}}' >"$config"

name=serve_sigterm_test
source "$(dirname "$0")/process_test_lib.sh"
# A short shutdown budget keeps the test quick: readiness grace is a tenth of it.
serve_demo --config "$config" admin.port=0 shutdown.timeout=3s observability.tracing_enabled=false
echo '{"observability": {"log_level": "debug"}}' >"$config"
kill -HUP "$pid"
wait_for 20 grep -q "configuration reloaded; changed: observability.log_level" "$out" ||
  fail "no reload within 20 s of SIGHUP"
kill -TERM "$pid"
wait_for 20 is_gone || fail "still running 20 s after SIGTERM"
wait "$pid"
code=$?
cat "$out"
[ "$code" -eq 0 ] || { echo "serve_sigterm_test: exit code $code, expected 0"; exit 1; }
grep -q "cause: signal: SIGTERM" "$out" || { echo "serve_sigterm_test: the shutdown cause is not SIGTERM"; exit 1; }
grep -q "shutdown complete: clean" "$out" || { echo "serve_sigterm_test: no clean shutdown"; exit 1; }
echo "serve_sigterm_test: passed"
