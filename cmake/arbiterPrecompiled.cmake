# arbiter_precompile_defaults(<target>): compiles the orchestrator's service-independent parts once for <target>
# (arbiter/precompiled.hpp: the shutdown manager and the circuit breaker with the default policies, and
# json_lines_tracing's tracer and batch processor), so that its other sources leave them out. It adds one source
# file to <target>, compiled with the target's own flags, and defines ARBITER_PRECOMPILED for all of its sources.
# See docs/orchestrator.md, "Cost". Without it nothing changes but the compile time.
function(arbiter_precompile_defaults target)
  set(source "${CMAKE_CURRENT_BINARY_DIR}/arbiter_precompiled/${target}.cpp")
  file(CONFIGURE OUTPUT "${source}" CONTENT
       "// Made by arbiter_precompile_defaults(${target}): the parts every service shares, compiled once.\n#include <arbiter/precompiled.hpp>\n")
  target_sources(${target} PRIVATE "${source}")
  target_compile_definitions(${target} PRIVATE ARBITER_PRECOMPILED)
endfunction()
