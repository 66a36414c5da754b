#!/usr/bin/env bash
# The status page in a real browser: starts `arbiter_demo --serve` with write actions on, forces the inventory breaker
# open through POST /breakers/inventory/force-open (with its bearer token), then opens `/` in headless Chromium. The
# DOM Chromium built (--dump-dom) must show every breaker that /breakers lists, with the same state, and the forced
# transition. A screenshot is kept as a test artifact (the path given). Every wait is bounded; a missing tool fails.
# Usage: status_page_test.sh path/to/arbiter_demo path/to/chromium path/to/curl path/to/python3 screenshot.png
set -u
program=$1 chromium=$2 curl=$3 python3=$4 screenshot=$5
work=$(mktemp -d)
out=$work/demo.log
trap 'rm -rf "$work"' EXIT

name=status_page_test
source "$(dirname "$0")/process_test_lib.sh"
serve_demo admin.port=0 observability.tracing_enabled=false admin.enable_write_actions=true \
  admin.token=status-page-test-token

sleep 2  # two seconds of calls for the sparkline
status=$("$curl" -sS --max-time 10 -o "$work/forced.json" -w '%{http_code}' -X POST \
  -H 'Authorization: Bearer status-page-test-token' "$base/breakers/inventory/force-open") ||
  fail "curl force-open failed"
[ "$status" = 200 ] || fail "force-open answered $status: $(cat "$work/forced.json")"
sleep 2  # transitions are sampled every second; rejections pile up for the sparkline

# browser ARGS...: headless Chromium with a throwaway profile (--no-sandbox: CI runs as root).
browser() {
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}
browser --dump-dom "$base/" >"$work/dom.html" || { cat "$work/chromium.log"; fail "chromium --dump-dom failed"; }
"$curl" -sS --max-time 10 -o "$work/breakers.json" "$base/breakers" || fail "curl /breakers failed"

"$python3" - "$work/dom.html" "$work/breakers.json" <<'PY' || fail "the DOM Chromium built does not match /breakers"
import json, sys
from html.parser import HTMLParser

class Rows(HTMLParser):
    """Collects each breaker row (tr.breaker) with its data-name and data-state, and the transitions table's text."""
    def __init__(self):
        super().__init__()
        self.breakers, self.in_transitions, self.transitions = {}, False, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and a.get("class") == "breaker":
            self.breakers[a.get("data-name")] = a.get("data-state")
        if tag == "table":
            self.in_transitions = a.get("id") == "transitions"
    def handle_data(self, data):
        if self.in_transitions and data.strip():
            self.transitions.append(data.strip())

rows = Rows()
rows.feed(open(sys.argv[1], encoding="utf-8").read())
listed = {b["name"]: b["state"] for b in json.load(open(sys.argv[2]))["breakers"]}
assert listed, "/breakers lists no breaker"
assert rows.breakers == listed, f"page shows {rows.breakers}, /breakers says {listed}"
assert listed["inventory"] == "forced_open", listed
assert any("forced_open" in t for t in rows.transitions), f"no forced_open transition on the page: {rows.transitions}"
print(f"status page DOM: breakers {rows.breakers}")
PY

mkdir -p "$(dirname "$screenshot")"
rm -f "$screenshot"
browser --hide-scrollbars --window-size=1100,900 --screenshot="$screenshot" "$base/" >/dev/null ||
  { cat "$work/chromium.log"; fail "chromium --screenshot failed"; }
[ "$(head -c 8 "$screenshot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$screenshot is not a PNG"
[ "$(wc -c <"$screenshot")" -gt 10000 ] || fail "$screenshot is too small to show the page"

kill -TERM "$pid"
expect_clean_exit
echo "status_page_test: passed (screenshot in $screenshot)"
