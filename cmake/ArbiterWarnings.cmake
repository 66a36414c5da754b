# Warnings for arbiter's own targets (tests, benches, examples); never put on the INTERFACE target users link.
set(ARBITER_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wundef
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(ARBITER_WARNINGS_AS_ERRORS)
  list(APPEND ARBITER_WARNING_FLAGS -Werror)
endif()

# Applies arbiter's warning set to TARGET.
function(arbiter_target_warnings target)
  target_compile_options(${target} PRIVATE ${ARBITER_WARNING_FLAGS})
endfunction()
