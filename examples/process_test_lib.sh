# Sourced by the demo's process tests (serve_*_test.sh, prometheus_scrape_test.sh, status_page_test.sh). Expects
# `name` (the test's name), `program` (the demo) and `out` (the file its output goes to); serve_demo sets `pid`.

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds or SECONDS pass.
wait_for() {
  local tries=$(($1 * 10))
  shift
  while ! "$@"; do
    tries=$((tries - 1))
    [ "$tries" -le 0 ] && return 1
    sleep 0.1
  done
}

is_gone() { ! kill -0 "$pid" 2>/dev/null; }

# fail MESSAGE: says what went wrong, kills the demo, shows its output, and fails the test.
fail() {
  echo "$name: $1"
  kill -KILL "$pid" 2>/dev/null
  cat "$out"
  exit 1
}

# serve_demo ARGS...: starts `$program --serve ARGS...` with its output in $out, waits for its "serving:" line, and
# sets pid, port (its admin server's, read from the log) and base (http://127.0.0.1:$port).
serve_demo() {
  "$program" --serve "$@" >"$out" 2>&1 &
  pid=$!
  wait_for 20 grep -q "serving:" "$out" || fail "no 'serving:' line within 20 s"
  port=$(sed -n 's/.*msg="admin server listening".* port=\([0-9]*\).*/\1/p' "$out" | head -n 1)
  [ -n "$port" ] || fail "the log does not name the admin server's port"
  base="http://127.0.0.1:$port"
}

# expect_clean_exit: waits (at most 30 s) for the demo, already sent SIGTERM, to end, and fails unless its exit code
# is 0.
expect_clean_exit() {
  wait_for 30 is_gone || fail "still running 30 s after SIGTERM"
  wait "$pid"
  local code=$?
  [ "$code" -eq 0 ] || fail "exit code $code, expected 0"
}
