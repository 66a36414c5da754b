# Sourced by scripts/demo and scripts/test: makes sure the Debian packages a step needs are installed.
# As root it installs what is missing (after apt-get update); otherwise it prints the exact install line and stops.

# ensure_packages PACKAGE...
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "arbiter: missing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      echo "arbiter: installed ${missing[*]}"
      return 0
    fi
  fi
  echo "arbiter: cannot install them from here. Run this, then try again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
}

# What building arbiter's demo needs.
ARBITER_DEMO_PACKAGES=(g++ cmake ninja-build libboost-dev libfmt-dev nlohmann-json3-dev)
# What the whole test suite needs on top: both compilers, sanitizer and libFuzzer runtimes, GoogleTest, Google Benchmark,
# spdlog (its adapter), toml++ (the TOML config source), pkg-config (a consumer build), promtool (package prometheus)
# and the Python client's OpenMetrics parser (they read the metrics text back), prometheus-cpp (the benchmark's peer).
# zlib1g-dev and libssl-dev: gzip and TLS in the OTLP/HTTP exporter, which the tracing tests and benchmarks build;
# openssl (the command) makes the CA and certificates of the TLS tests.
# curl reads every endpoint of the HTTP admin server (tests/http); the prometheus server scrapes the demo and chromium
# opens its status page (examples/). libprotobuf and protoc decode the OTLP protobuf encoder's bytes in
# tests/tracing (against a schema written for the tests; the library itself never uses them).
ARBITER_TEST_PACKAGES=("${ARBITER_DEMO_PACKAGES[@]}" clang-14 libclang-rt-14-dev libgtest-dev libgmock-dev
  libbenchmark-dev libspdlog-dev libtomlplusplus-dev pkg-config prometheus python3-prometheus-client
  prometheus-cpp-dev zlib1g-dev libssl-dev openssl curl chromium libprotobuf-dev protobuf-compiler)
