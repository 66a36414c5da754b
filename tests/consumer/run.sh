#!/usr/bin/env bash
# Builds tiny consumer projects against arbiter, the three ways users take it: find_package after cmake --install,
# add_subdirectory, and pkg-config; the two CMake ones also build a consumer of the opt-in exporters through
# arbiter::exporters (OpenSSL and zlib) and the minimal service with arbiter_precompile_defaults(). Each must build
# and run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cxx=${CXX:-g++}

echo "== consumer: install into a temporary prefix"
cmake -S "$root" -B "$work/arbiter" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_INSTALL_PREFIX="$work/prefix" \
  -DARBITER_BUILD_TESTS=OFF -DARBITER_BUILD_BENCHMARKS=OFF -DARBITER_BUILD_EXAMPLES=OFF -DARBITER_CHECK_HEADERS=OFF >/dev/null
cmake --install "$work/arbiter" >/dev/null

echo "== consumer: find_package(arbiter CONFIG REQUIRED)"
cmake -S "$root/tests/consumer/find_package" -B "$work/fp" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/fp" >/dev/null
"$work/fp/consumer"
"$work/fp/consumer_exporter"
"$work/fp/consumer_precompiled" 3 >/dev/null

echo "== consumer: add_subdirectory(arbiter)"
cmake -S "$root/tests/consumer/add_subdirectory" -B "$work/as" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DARBITER_SOURCE_DIR="$root" >/dev/null
cmake --build "$work/as" >/dev/null
"$work/as/consumer"
"$work/as/consumer_exporter"
"$work/as/consumer_precompiled" 3 >/dev/null

echo "== consumer: pkg-config --cflags --libs arbiter"
export PKG_CONFIG_PATH="$work/prefix/share/pkgconfig"
# shellcheck disable=SC2046 # the flags are meant to split into words
"$cxx" "$root/tests/consumer/main.cpp" -o "$work/pc" $(pkg-config --cflags --libs arbiter)
"$work/pc"
echo "consumers: 7 passed, 0 failed"
