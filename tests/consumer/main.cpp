// A tiny consumer of the installed (or embedded) arbiter: proves the package is usable as users would use it.
#include <arbiter/arbiter.hpp>

#include <cstdio>

int main() {
  arbiter::recording_tracer tracer;
  arbiter::recording_logger logger;
  const int answer = arbiter::trace(tracer, "consumer", [&] {
    logger.log(arbiter::log_level::info, "consumed", arbiter::kv("version", arbiter::version));
    return 42;
  });
  const bool ok = answer == 42 && tracer.size() == 1 && logger.count("consumed") == 1;
  std::printf("arbiter consumer: %s (version %d)\n", ok ? "ok" : "FAILED", arbiter::version);
  return ok ? 0 : 1;
}
