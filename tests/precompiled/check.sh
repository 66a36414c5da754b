#!/usr/bin/env bash
# Proves that ARBITER_PRECOMPILED takes the service-independent specializations out of a service's object and
# that arbiter/precompiled.hpp compiles them: compiles SOURCE at -O0 with and without the definition, and the header
# on its own, then counts the members of those specializations that each object defines (nm -C).
# Usage: check.sh COMPILER INCLUDE_DIR SOURCE WORK_DIR
set -euo pipefail
compiler=$1 include=$2 source=$3 work=$4
mkdir -p "$work"
echo '#include <arbiter/precompiled.hpp>' > "$work/definitions.cpp"
"$compiler" -std=c++20 -O0 -I"$include" -c "$source" -o "$work/plain.o"
"$compiler" -std=c++20 -O0 -I"$include" -DARBITER_PRECOMPILED -c "$source" -o "$work/precompiled.o"
"$compiler" -std=c++20 -O0 -I"$include" -DARBITER_PRECOMPILED -c "$work/definitions.cpp" -o "$work/definitions.o"

# The specializations of include/arbiter/detail/precompiled.hpp that a service traced as JSON lines uses, by the
# prefix of their members' demangled names.
jl='arbiter::v1::tracer<arbiter::v1::configured_sampler, arbiter::v1::batch_processor<arbiter::v1::stdout_json_lines_exporter, arbiter::v1::null_metrics>, arbiter::v1::tsc_clock>'
names=("shutdown manager" "circuit breaker" "batch processor")
prefixes=("arbiter::v1::shutdown_manager<arbiter::v1::fmt_logger, arbiter::v1::steady_clock, arbiter::v1::process_exit, $jl, arbiter::v1::null_metrics>::"
          "arbiter::v1::circuit_breaker<arbiter::v1::fmt_logger, $jl >::"
          "arbiter::v1::batch_processor<arbiter::v1::stdout_json_lines_exporter, arbiter::v1::null_metrics>::")

# Members defined in `object` under `prefix`, leaving out what an explicit instantiation does not hold: the
# constructors and destructors (templates, or implicit ones made wherever the class is used) and the member
# templates (execute<F>, made for each caller's function).
members() {
  nm -C --defined-only "$1" | awk -v prefix="$2" '
    $2 ~ /^[TtWw]$/ {
      name = $0; sub(/^[^ ]+ [^ ]+ /, "", name)
      # Any place where the name goes on with "<prefix>member(": a member function that is not a template. The
      # prefix also appears inside template arguments and parameter types, so every place is looked at.
      rest = name
      while ((at = index(rest, prefix)) > 0) {
        rest = substr(rest, at + length(prefix))
        if (match(rest, /^(operator[^(]*|[A-Za-z_][A-Za-z0-9_]*)\(/) == 0) continue
        member = substr(rest, 1, RLENGTH - 1)
        if (member ~ /^(shutdown_manager|circuit_breaker|batch_processor)$/) continue
        n++
        break
      }
    }
    END { print n + 0 }'
}

failed=0
for i in "${!names[@]}"; do
  plain=$(members "$work/plain.o" "${prefixes[$i]}")
  pre=$(members "$work/precompiled.o" "${prefixes[$i]}")
  defs=$(members "$work/definitions.o" "${prefixes[$i]}")
  echo "${names[$i]}: $plain members in the service's object alone, $pre with ARBITER_PRECOMPILED, $defs in arbiter/precompiled.hpp's"
  if [ "$plain" -eq 0 ]; then
    echo "FAIL ${names[$i]}: the service's object defines none of its members, so this proves nothing (did the orchestrator's defaults change? see include/arbiter/detail/precompiled.hpp)"
    failed=1
  fi
  if [ "$pre" -ne 0 ]; then
    echo "FAIL ${names[$i]}: with ARBITER_PRECOMPILED the service's object still defines $pre of its members:"
    nm -C --defined-only "$work/precompiled.o" | grep -F -- "${prefixes[$i]}" | cut -c1-300 | head -5 || true
    failed=1
  fi
  if [ "$defs" -lt "$plain" ]; then
    echo "FAIL ${names[$i]}: arbiter/precompiled.hpp's object defines $defs of its members, fewer than the $plain the service uses"
    failed=1
  fi
done
exit $failed
