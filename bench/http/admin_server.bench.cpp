// BM_admin_probe_request: keep-alive GET /readyz over loopback against a running admin_server whose health is
// cached (background checks). Reports requests per second (items_per_second) and the server's own time per
// request (server_us: from the request read to the answer written, measured inside the server). Beside it: the
// same with a client that sleeps in recv(), and the floor, a bare socket thread answering a fixed text.
#include <arbiter/health/health_monitor.hpp>
#include <arbiter/http/admin_server.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace {

struct ready_check {
  static constexpr std::string_view name = "db:ping";
  bool operator()() const { return true; }
};

constexpr std::string_view probe_request = "GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// How the benchmark's client waits for an answer. `spinning` polls a non-blocking socket, so no thread sleeps on
/// it: on loopback the sender's send() runs the receiver's TCP input and wakes a sleeping receiver, so a blocking
/// client puts its own wake-up (tens of µs on a busy VM) into the server's time; a prober on another machine never
/// does. `blocking` is that worst case, kept for comparison.
enum class client_wait { spinning, blocking };

/// A connected loopback TCP socket with TCP_NODELAY, or -1.
int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/// Sends the probe request and reads one answer, which ends with `last`. False when the connection failed.
bool round_trip(int fd, client_wait wait, std::string_view last) {
  if (::send(fd, probe_request.data(), probe_request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(probe_request.size())) {
    return false;
  }
  char buffer[4096];
  std::size_t got = 0;
  const int flags = wait == client_wait::spinning ? MSG_DONTWAIT : 0;
  for (;;) {
    const ssize_t n = ::recv(fd, buffer + got, sizeof buffer - got, flags);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
    if (std::string_view(buffer, got).ends_with(last)) return true;
  }
}

void probe_requests(benchmark::State& state, client_wait wait) {
  arbiter::health_monitor<ready_check> monitor(
      arbiter::health_config{.mode = arbiter::health_mode::background, .interval = std::chrono::seconds(60)});
  arbiter::admin_sources sources;
  sources.health = arbiter::admin_health_of(monitor);
  arbiter::admin_server server(arbiter::admin_options{}, std::move(sources));
  server.start();
  while (!monitor.is_ready()) {
  }
  const int fd = connect_loopback(server.port());
  if (fd < 0) {
    state.SkipWithError("connect failed");
    return;
  }
  const auto before = server.stats();
  for (auto _ : state) {
    // One answer: headers and the 5-byte body "pass\n" (it ends the answer).
    if (!round_trip(fd, wait, "\r\n\r\npass\n")) {
      state.SkipWithError("connection closed");
      break;
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

/// Keep-alive GET /readyz over loopback, health cached by a background monitor, a spinning client.
void BM_admin_probe_request(benchmark::State& state) { probe_requests(state, client_wait::spinning); }
BENCHMARK(BM_admin_probe_request)->UseRealTime();

/// The same with a client that sleeps in recv(): the server's send() pays for waking it.
void BM_admin_probe_request_blocking_client(benchmark::State& state) { probe_requests(state, client_wait::blocking); }
BENCHMARK(BM_admin_probe_request_blocking_client)->UseRealTime();

/// The floor: a bare blocking server thread that reads a request and writes a fixed 200 answer (no HTTP parsing,
/// no io_context), with the same spinning client. server_us is its time from the request read to the answer sent.
void BM_loopback_round_trip_baseline(benchmark::State& state) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    state.SkipWithError("listen failed");
    return;
  }
  std::atomic<std::int64_t> server_ns{0};
  std::atomic<std::int64_t> served{0};
  std::thread server([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    constexpr std::string_view answer =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\npass\n";
    char buffer[4096];
    for (;;) {
      if (::recv(fd, buffer, sizeof buffer, 0) <= 0) break;
      const auto t0 = std::chrono::steady_clock::now();
      if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) <= 0) break;
      server_ns += (std::chrono::steady_clock::now() - t0).count();
      ++served;
    }
    ::close(fd);
  });
  const int fd = connect_loopback(ntohs(addr.sin_port));
  for (auto _ : state) {
    if (fd < 0 || !round_trip(fd, client_wait::spinning, "\r\n\r\npass\n")) {
      state.SkipWithError("connection closed");
      break;
    }
  }
  if (fd >= 0) ::close(fd);
  server.join();
  ::close(listener);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  if (served > 0) {
    state.counters["server_us"] = static_cast<double>(server_ns.load()) / 1000.0 / static_cast<double>(served.load());
  }
}
BENCHMARK(BM_loopback_round_trip_baseline)->UseRealTime();

}  // namespace
