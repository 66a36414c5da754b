#!/usr/bin/env bash
# Proves that ARBITER_PRECOMPILED takes the service-independent specializations out of a service's object and
# that arbiter/precompiled.hpp compiles them: compiles SOURCE at -O0 with and without the definition, and the header
# on its own, then compares the members of those specializations that each object defines (nm -C).
# Usage: check.sh COMPILER INCLUDE_DIR SOURCE WORK_DIR LIST   (LIST: json_lines or core, the list SOURCE uses)
set -euo pipefail
compiler=$1 include=$2 source=$3 work=$4 list=$5
mkdir -p "$work"
echo '#include <arbiter/precompiled.hpp>' > "$work/definitions.cpp"
"$compiler" -std=c++20 -O0 -I"$include" -c "$source" -o "$work/plain.o"
"$compiler" -std=c++20 -O0 -I"$include" -DARBITER_PRECOMPILED -c "$source" -o "$work/precompiled.o"
"$compiler" -std=c++20 -O0 -I"$include" -DARBITER_PRECOMPILED -c "$work/definitions.cpp" -o "$work/definitions.o"

# The specializations of include/arbiter/detail/precompiled.hpp that SOURCE uses, by the prefix of their members'
# demangled names.
case "$list" in
  json_lines)
    tracer='arbiter::v1::tracer<arbiter::v1::configured_sampler, arbiter::v1::batch_processor<arbiter::v1::stdout_json_lines_exporter, arbiter::v1::null_metrics>, arbiter::v1::tsc_clock>'
    names=("shutdown manager" "circuit breaker" "batch processor" "tracer")
    prefixes=("arbiter::v1::shutdown_manager<arbiter::v1::fmt_logger, arbiter::v1::steady_clock, arbiter::v1::process_exit, $tracer, arbiter::v1::null_metrics>::"
              "arbiter::v1::circuit_breaker<arbiter::v1::fmt_logger, $tracer >::"
              "arbiter::v1::batch_processor<arbiter::v1::stdout_json_lines_exporter, arbiter::v1::null_metrics>::"
              "$tracer::")
    ;;
  core)
    names=("shutdown manager" "circuit breaker")
    prefixes=("arbiter::v1::shutdown_manager<arbiter::v1::fmt_logger, arbiter::v1::steady_clock, arbiter::v1::process_exit, arbiter::v1::null_tracer, arbiter::v1::null_metrics>::"
              "arbiter::v1::circuit_breaker<arbiter::v1::fmt_logger, arbiter::v1::null_tracer>::")
    ;;
  *) echo "check.sh: LIST is json_lines or core, not '$list'" >&2; exit 2 ;;
esac

# The members defined in `object` under `prefix` (one demangled name a line, sorted), leaving out what an explicit
# instantiation does not hold: constructors and destructors (templates, or implicit ones made wherever the class is
# used) and member templates (execute<F>, made for each caller's function). The prefix also appears inside template
# arguments and parameter types, so every place in a name is looked at.
members() {
  nm -C --defined-only "$1" | awk -v prefix="$2" '
    $2 ~ /^[TtWw]$/ {
      name = $0; sub(/^[^ ]+ [^ ]+ /, "", name)
      rest = name
      while ((at = index(rest, prefix)) > 0) {
        rest = substr(rest, at + length(prefix))
        if (match(rest, /^(operator[^(]*|[A-Za-z_][A-Za-z0-9_]*(\[abi:[a-z0-9]+\])?)\(/) == 0) continue
        member = substr(rest, 1, RLENGTH - 1)
        sub(/\[abi:.*/, "", member)
        if (member ~ /^(shutdown_manager|circuit_breaker|batch_processor|tracer)$/) continue
        print name
        break
      }
    }' | sort -u
}

failed=0
for i in "${!names[@]}"; do
  members "$work/plain.o" "${prefixes[$i]}" > "$work/plain.txt"
  members "$work/precompiled.o" "${prefixes[$i]}" > "$work/precompiled.txt"
  members "$work/definitions.o" "${prefixes[$i]}" > "$work/definitions.txt"
  plain=$(wc -l < "$work/plain.txt")
  pre=$(wc -l < "$work/precompiled.txt")
  defs=$(wc -l < "$work/definitions.txt")
  missing=$(comm -23 "$work/plain.txt" "$work/definitions.txt" | wc -l)
  echo "${names[$i]}: $plain members in the service's object alone, $pre with ARBITER_PRECOMPILED, $defs in arbiter/precompiled.hpp's"
  if [ "$plain" -eq 0 ]; then
    echo "FAIL ${names[$i]}: the service's object defines none of its members, so this proves nothing (did the orchestrator's defaults change? see include/arbiter/detail/precompiled.hpp)"
    failed=1
  fi
  if [ "$pre" -ne 0 ]; then
    echo "FAIL ${names[$i]}: with ARBITER_PRECOMPILED the service's object still defines $pre of its members:"
    cut -c1-300 "$work/precompiled.txt" | head -5
    failed=1
  fi
  if [ "$missing" -ne 0 ]; then
    echo "FAIL ${names[$i]}: arbiter/precompiled.hpp's object lacks $missing of the members the service uses:"
    comm -23 "$work/plain.txt" "$work/definitions.txt" | cut -c1-300 | head -5
    failed=1
  fi
done
exit $failed
