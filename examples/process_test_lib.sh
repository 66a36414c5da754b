# Sourced by the demo's process tests (serve_sigterm_test.sh, serve_admin_test.sh). Expects `name` (the test's
# name), `pid` (the demo's process) and `out` (the file its output goes to).

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
