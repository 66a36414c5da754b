// A small service the lifecycle tests and benches start as a real process: it registers hooks for one
// scenario, prints "ready", and reports what it does on stdout, one line per event ("hook db", "exit 0").
// Commands arrive on stdin, one a line ("request", "terminate", "thread_throw"). Logs go to stderr.
#include <arbiter/lifecycle.hpp>
#include <arbiter/logging/fmt_logger.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace {

using namespace std::chrono_literals;
using manager_type = arbiter::shutdown_manager<arbiter::fmt_logger>;

/// Writes one line with a single write(2): unbuffered, so nothing is lost when the process is forced out.
void say(std::string_view text) {
  std::string line(text);
  line.push_back('\n');
  [[maybe_unused]] const auto written = ::write(STDOUT_FILENO, line.data(), line.size());
}

void sleep_forever() {
  for (;;) std::this_thread::sleep_for(1h);
}

// Static state a left-behind hook keeps using ("static_race"). The static destructors run in reverse order:
// `static_text` goes first (its unique_ptr is then null), then `teardown`, which in that scenario takes 200 ms,
// as a logger flushing at exit would: a hook still reading `static_text` while they run crashes the process.
std::atomic<bool> slow_teardown{false};
struct slow_static_teardown {
  slow_static_teardown() = default;
  slow_static_teardown(const slow_static_teardown&) = delete;
  slow_static_teardown& operator=(const slow_static_teardown&) = delete;
  ~slow_static_teardown() {
    if (slow_teardown.load()) std::this_thread::sleep_for(200ms);
  }
};
const slow_static_teardown teardown;
const auto static_text = std::make_unique<std::string>("static state a left-behind hook keeps reading");

// Static hooks ordered at compile time: the log flush must stop before the files close.
struct close_files {
  static constexpr std::string_view name = "files";
  void operator()() const { say("hook files"); }
};
struct flush_logs {
  static constexpr std::string_view name = "flush";
  using stops_before = arbiter::stop_before<close_files>;
  void operator()() const { say("hook flush"); }
};

std::function<void()> saying(std::string text) {
  return [text = std::move(text)] { say(text); };
}

arbiter::shutdown_options options_for(std::string_view scenario) {
  arbiter::shutdown_options options;
  options.deadline = 20s;
  options.drain_timeout = 5s;
  options.poll_interval = 5ms;
  if (scenario == "deadline") {
    options.deadline = 500ms;
    options.drain_timeout = 100ms;
  }
  return options;
}

void register_scenario(manager_type& manager, std::string_view scenario) {
  manager.on_readiness_off("readiness", saying("readiness off"));
  if (scenario == "order") {
    manager.add_hook("db", 2, saying("hook db"));
    manager.add_hook("cache", 1, saying("hook cache"));
    manager.add_hook("server", 1, saying("hook server"));  // registered last in phase 1: stops first there
    manager.add_hook("metrics", 0, saying("hook metrics"));
    manager.add_ordered_hooks(3, close_files{}, flush_logs{});
  } else if (scenario == "timeout") {
    manager.add_hook(
        "stuck", 0,
        [] {
          say("hook stuck started");
          std::this_thread::sleep_for(60s);
        },
        200ms);
    manager.add_hook("after", 1, saying("hook after"));
  } else if (scenario == "static_race") {
    slow_teardown.store(true);
    manager.add_hook(
        "reads statics", 0,
        [] {
          say("hook reads statics started");
          for (;; std::this_thread::yield()) {
            if (std::string(*static_text).empty()) say("static text empty");
          }
        },
        200ms);
    manager.add_hook("after", 1, [] {
      say("hook after");
      std::fputs("buffered in stdio\n", stdout);  // stdout is a pipe, so fully buffered: only a flush sends it
    });
  } else if (scenario == "deadline") {
    manager.add_hook("forever", 0, [] {
      say("hook forever started");
      sleep_forever();
    });
    manager.add_hook("after", 1, saying("hook after"));
  } else if (scenario == "throwing") {
    manager.add_hook("bad", 0, [] { throw std::runtime_error("disk full"); });
    manager.add_hook("after", 1, saying("hook after"));
  } else if (scenario == "slow") {
    manager.add_hook("slow", 0, [] {
      say("hook slow started");
      std::this_thread::sleep_for(60s);
    });
  } else if (scenario == "fatal" || scenario == "drain" || scenario == "reload") {
    manager.add_hook("db", 1, saying("hook db"));
    manager.add_hook("server", 0, saying("hook server"));
  } else if (scenario == "quick10") {
    for (int i = 0; i < 10; ++i) manager.add_hook("quick " + std::to_string(i), i % 3, [] {});
  } else {
    throw std::invalid_argument("lifecycle_helper: unknown scenario \"" + std::string(scenario) + "\"");
  }
  if (scenario == "reload") {
    manager.on_reload([count = std::make_shared<std::atomic<int>>(0)] { say("reload " + std::to_string(++*count)); });
  }
}

/// Serves one long request: enters the gate, waits for the shutdown to stop intake, shows that a new entry
/// is refused, then finishes 300 ms later. The drain must wait for it before any hook runs.
void serve_request(manager_type& manager) {
  auto pass = manager.gate().enter();
  if (!pass) {
    say("request refused");
    return;
  }
  say("request started");
  const auto token = manager.stop_token();
  while (!token.stop_requested()) std::this_thread::sleep_for(1ms);
  if (!manager.gate().enter()) say("entry refused");
  std::this_thread::sleep_for(300ms);
  say("request done");
}

void read_commands(manager_type& manager) {
  std::string line;
  char c = 0;
  while (::read(STDIN_FILENO, &c, 1) == 1) {
    if (c != '\n') {
      line.push_back(c);
      continue;
    }
    if (line == "request") {
      std::thread([&manager] { serve_request(manager); }).detach();
    } else if (line == "terminate") {
      std::thread([] { throw std::runtime_error("boom in a plain thread"); }).detach();
    } else if (line == "thread_throw") {
      auto worker = manager.start_thread("worker", [] { throw std::runtime_error("worker lost its database"); });
      worker.detach();
    } else if (line == "shutdown") {
      manager.trigger_shutdown("asked on stdin");
    }
    line.clear();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view scenario = argc > 1 ? argv[1] : "order";
  if (scenario == "plain") {  // the floor for the SIGTERM-to-exit benchmark: default disposition, no manager
    say("ready");
    sleep_forever();
  }
  arbiter::fmt_logger logger(stderr, arbiter::log_level::info);
  manager_type manager(logger, options_for(scenario));
  register_scenario(manager, scenario);
  manager.start();
  std::thread([&manager] { read_commands(manager); }).detach();
  say("ready");
  const auto& result = manager.wait();
  say("exit " + std::to_string(result.exit_code));
  return result.exit_code;
}
