#!/usr/bin/env bash
# A real Prometheus server scrapes the demo: starts `arbiter_demo --serve` with its admin server on a free port, starts
# Debian's `prometheus` on loopback scraping it every second (job "arbiter"), then asks Prometheus's HTTP API for
# `up{job="arbiter"} == 1` and for a breaker call counter above zero. Every wait is bounded; a missing tool fails.
# Usage: prometheus_scrape_test.sh path/to/arbiter_demo path/to/prometheus path/to/curl path/to/python3
set -u
program=$1 prometheus=$2 curl=$3 python3=$4
work=$(mktemp -d)
out=$work/demo.log
prom_pid=
trap '[ -n "$prom_pid" ] && kill -KILL "$prom_pid" 2>/dev/null; rm -rf "$work"' EXIT

name=prometheus_scrape_test
source "$(dirname "$0")/process_test_lib.sh"
serve_demo admin.port=0 observability.tracing_enabled=false

# Prometheus cannot report a port it picked itself, so a free one is found first (bind to 0, read it, release it).
prom_port=$("$python3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: arbiter
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!

# query PROMQL: true once Prometheus answers the instant query with at least one series.
query() {
  "$curl" -sS --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1" \
    -o "$work/answer.json" 2>/dev/null || return 1
  "$python3" - "$work/answer.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sys.exit(0 if doc.get("status") == "success" and doc["data"]["result"] else 1)
PY
}

prom_fail() {
  echo "prometheus log:"
  cat "$work/prometheus.log"
  echo "last answer: $(cat "$work/answer.json" 2>/dev/null)"
  fail "$1"
}

wait_for 60 query 'up{job="arbiter"} == 1' || prom_fail 'Prometheus never saw up{job="arbiter"} == 1 within 60 s'
wait_for 30 query 'arbiter_breaker_calls_total{job="arbiter",breaker="inventory",outcome="success"} > 0' ||
  prom_fail "Prometheus scraped no inventory breaker call above zero within 30 s"
# The scrape itself was clean: Prometheus parsed every sample it was given.
query 'scrape_samples_scraped{job="arbiter"} > 10' || prom_fail "Prometheus scraped fewer than 10 samples"

kill -TERM "$pid"
expect_clean_exit
echo "prometheus_scrape_test: passed (Prometheus on port $prom_port scraped the admin server on port $port)"
