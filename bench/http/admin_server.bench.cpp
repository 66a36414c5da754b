// BM_admin_probe_request: keep-alive GET /readyz over loopback against a running admin_server whose health is
// cached (background checks). Reports requests per second (items_per_second) and the server's own time per
// request (server_us: from the request read to the answer written, measured inside the server).
#include <arbiter/health/health_monitor.hpp>
#include <arbiter/http/admin_server.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <string_view>

namespace {

struct ready_check {
  static constexpr std::string_view name = "db:ping";
  bool operator()() const { return true; }
};

void BM_admin_probe_request(benchmark::State& state) {
  arbiter::health_monitor<ready_check> monitor(
      arbiter::health_config{.mode = arbiter::health_mode::background, .interval = std::chrono::seconds(60)});
  arbiter::admin_sources sources;
  sources.health = arbiter::admin_health_of(monitor);
  arbiter::admin_server server(arbiter::admin_options{}, std::move(sources));
  server.start();
  while (!monitor.is_ready()) {
  }

  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    state.SkipWithError("connect failed");
    return;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const std::string_view request = "GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  char buffer[4096];
  const auto before = server.stats();
  for (auto _ : state) {
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      state.SkipWithError("send failed");
      break;
    }
    // One answer: headers and the 5-byte body "pass\n" (it ends the answer).
    std::size_t got = 0;
    for (;;) {
      const ssize_t n = ::recv(fd, buffer + got, sizeof buffer - got, 0);
      if (n <= 0) {
        state.SkipWithError("connection closed");
        break;
      }
      got += static_cast<std::size_t>(n);
      if (std::string_view(buffer, got).ends_with("\r\n\r\npass\n")) break;
    }
  }
  ::close(fd);
  server.stop();
  const auto after = server.stats();
  const auto served = after.requests - before.requests;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (served > 0) {
    state.counters["server_us"] =
        std::chrono::duration<double, std::micro>(after.server_time - before.server_time).count() /
        static_cast<double>(served);
  }
}
BENCHMARK(BM_admin_probe_request)->UseRealTime();

}  // namespace
