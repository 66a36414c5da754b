#include <arbiter/orchestrator/commands.hpp>
#include <arbiter/orchestrator/service_sources.hpp>

#include <arbiter/config/override_source.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/orchestrator.hpp>
#include <arbiter/tracing/recording_tracer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using service = arbiter::orchestrator<arbiter::breaker<"inventory">, arbiter::with_sources<arbiter::override_source>>;

struct answered {
  std::optional<int> code;
  std::string out, err;
};

answered answer(const std::vector<const char*>& given) {
  // Not vector::insert at the front: g++ 12 -O3 flags it with a false -Wnull-dereference.
  std::vector<const char*> args(given.size() + 1, "svc");
  std::copy(given.begin(), given.end(), args.begin() + 1);
  arbiter::command_line cli("svc", "A service.");
  cli.parse(static_cast<int>(args.size()), args.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  answered out;
  out.code = arbiter::answer_commands<service>(cli, "Footer.\n", arbiter::override_source(cli.overrides()));
  out.out = testing::internal::GetCapturedStdout();
  out.err = testing::internal::GetCapturedStderr();
  return out;
}

TEST(answer_commands, prints_the_usage_the_reference_or_the_effective_config_and_says_to_exit) {
  const auto help = answer({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("usage: svc"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Footer."), std::string::npos) << help.out;
  const auto reference = answer({"--help-config"});
  EXPECT_EQ(reference.code, 0);
  EXPECT_NE(reference.out.find("resilience.breakers.inventory.failure_threshold"), std::string::npos);
  const auto dump = answer({"--dump-config", "resilience.failure_threshold=7"});
  EXPECT_EQ(dump.code, 0);
  EXPECT_NE(dump.out.find("resilience.failure_threshold = 7"), std::string::npos) << dump.out;
  EXPECT_EQ(answer({"resilience.failure_threshold=7"}).code, std::nullopt) << "nothing asked: build the service";
}

TEST(answer_commands, a_bad_setting_in_a_dump_is_listed_with_its_source_and_exit_code_2) {
  const auto dump = answer({"--dump-config", "resilience.failure_threshold=0"});
  EXPECT_EQ(dump.code, 2);
  EXPECT_NE(dump.err.find("resilience.failure_threshold: 0 from override resilience.failure_threshold"),
            std::string::npos)
      << dump.err;
}

TEST(peek_config, reads_the_settings_quietly_or_says_they_do_not_load) {
  testing::internal::CaptureStderr();
  testing::internal::CaptureStdout();
  const auto good = arbiter::peek_config<service>(
      arbiter::override_source({"observability.tracing_enabled=false", "resilience.failure_threshold=7"}));
  const auto bad = arbiter::peek_config<service>(arbiter::override_source({"resilience.failure_threshold=lots"}));
  const auto err = testing::internal::GetCapturedStderr();
  const auto out = testing::internal::GetCapturedStdout();
  ASSERT_TRUE(good.has_value());
  EXPECT_FALSE((*good)->observability.tracing_enabled);
  EXPECT_EQ((*good)->resilience.failure_threshold, 7U);
  EXPECT_FALSE(bad.has_value()) << "a bad setting is left to run(), which reports it with its source";
  EXPECT_EQ(err, "") << "quiet";
  EXPECT_EQ(out, "") << "quiet";
}

TEST(describe_service_reload, says_what_a_reload_did_in_a_line_or_lists_why_it_was_rejected) {
  arbiter::service_reload applied;
  applied.config.applied = true;
  applied.config.changed = {"observability.log_level", "resilience.failure_threshold"};
  applied.needs_restart = {"admin.port"};
  EXPECT_EQ(arbiter::describe(applied),
            std::vector<std::string>{"configuration reloaded; changed: observability.log_level, "
                                     "resilience.failure_threshold (needs a restart: admin.port)"});

  arbiter::service_reload unchanged;
  EXPECT_EQ(arbiter::describe(unchanged), std::vector<std::string>{"configuration unchanged"});

  arbiter::service_reload rejected;
  rejected.config.issues.push_back(
      {arbiter::issue_severity::error, "admin.port", "admin.port: 70000 from app.json:3 is above the maximum 65535"});
  rejected.config.issues.push_back({arbiter::issue_severity::warning, "x", "x: an unknown key in app.json"});
  EXPECT_EQ(arbiter::describe(rejected),
            (std::vector<std::string>{"the configuration is invalid; the running one stays:",
                                      "  admin.port: 70000 from app.json:3 is above the maximum 65535",
                                      "  x: an unknown key in app.json"}));
}

}  // namespace

namespace {

template <class Tracer>
using choosing_service =
    arbiter::orchestrator<arbiter::with_tracer<Tracer>, arbiter::with_sources<arbiter::override_source>,
                          arbiter::with_logger<arbiter::recording_logger>, arbiter::with_exit<arbiter::recording_exit>>;

/// Runs choosing_service with `pairs` as overrides; returns the exit code and whether the run was traced.
std::pair<int, bool> run_choosing(std::vector<std::string> pairs, const char* span_file = nullptr,
                                  const arbiter::recording_logger& logger = arbiter::recording_logger()) {
  bool traced = false;
  pairs.emplace_back("shutdown.timeout=2s");  // a short readiness grace (200 ms), a budget a loaded machine meets
  const int code = arbiter::run_choosing_tracer<choosing_service, arbiter::recording_tracer>(
      arbiter::instances(logger), arbiter::orchestrator_options{.handle_signals = false},
      [&traced](auto& svc) {
        traced = !std::is_same_v<typename std::remove_cvref_t<decltype(svc)>::tracer_type, arbiter::null_tracer>;
        return 0;
      },
      [&pairs] { return std::make_tuple(arbiter::override_source(pairs)); }, span_file);
  return {code, traced};
}

TEST(run_choosing_tracer, builds_the_service_with_null_tracer_when_tracing_is_off) {
  const arbiter::recording_logger untraced_log, traced_log;
  EXPECT_EQ(run_choosing({"observability.tracing_enabled=false"}, nullptr, untraced_log), std::make_pair(0, false));
  EXPECT_EQ(untraced_log.count("tracing is off: the service is built with null_tracer"), 1u);
  EXPECT_EQ(run_choosing({}, nullptr, traced_log), std::make_pair(0, true));
  EXPECT_EQ(traced_log.count("tracing is off: the service is built with null_tracer"), 0u);
  // Settings that do not load mean "on": the run lists the problems and exits with 2.
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_choosing({"observability.tracing_enabled=false", "resilience.failure_threshold=0"}).first, 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("resilience.failure_threshold"), std::string::npos);
}

TEST(run_choosing_tracer, opens_the_span_file_only_when_tracing_is_on_and_a_bad_one_is_exit_code_2) {
  const std::string path = testing::TempDir() + "run_choosing_tracer.spans";
  std::remove(path.c_str());
  EXPECT_EQ(run_choosing({"observability.tracing_enabled=false"}, path.c_str()), std::make_pair(0, false));
  EXPECT_EQ(std::fopen(path.c_str(), "r"), nullptr) << "not opened with tracing off";
  EXPECT_EQ(run_choosing({}, path.c_str()), std::make_pair(0, true));
  std::FILE* made = std::fopen(path.c_str(), "r");
  EXPECT_NE(made, nullptr);
  if (made) std::fclose(made);
  std::remove(path.c_str());
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_choosing({}, "/nonexistent-dir/spans.jsonl"), std::make_pair(2, false));
  EXPECT_NE(testing::internal::GetCapturedStderr().find("cannot open the span file /nonexistent-dir/spans.jsonl"),
            std::string::npos);
}

}  // namespace

TEST(describe_state_change, says_what_a_breaker_did_in_a_line) {
  using arbiter::breaker_state;
  using arbiter::transition_reason;
  EXPECT_EQ(arbiter::describe(arbiter::state_change{breaker_state::closed, breaker_state::open,
                                                    transition_reason::failure_threshold, 1}),
            "opened: closed -> open (failure_threshold)");
  EXPECT_EQ(arbiter::describe(arbiter::state_change{breaker_state::open, breaker_state::half_open,
                                                    transition_reason::open_elapsed, 2}),
            "half-open: open -> half_open (open_elapsed)");
  EXPECT_EQ(arbiter::describe(arbiter::state_change{breaker_state::half_open, breaker_state::closed,
                                                    transition_reason::trials_succeeded, 3}),
            "closed: half_open -> closed (trials_succeeded)");
}

TEST(service_command_line, takes_config_trace_file_and_logs_besides_the_configs_arguments) {
  arbiter::service_command_line cli("svc", "A service.");
  bool serve = false;
  cli.flag("--serve", "serve", serve);
  const char* argv[] = {"svc",    "--config", "s.json",  "--trace-file", "spans.jsonl",
                        "--logs", "stdout",   "--serve", "a.b=1"};
  cli.parse(9, argv);
  EXPECT_EQ(cli.config_file(), "s.json");
  EXPECT_EQ(cli.trace_file(), "spans.jsonl");
  EXPECT_EQ(cli.run_options().log_stream, stdout);
  EXPECT_TRUE(serve);
  EXPECT_EQ(cli.overrides(), std::vector<std::string>{"a.b=1"});
  const std::string usage = cli.usage();
  EXPECT_LT(usage.find("--config PATH"), usage.find("--serve")) << usage;
  EXPECT_NE(usage.find("--logs stdout|stderr"), std::string::npos) << usage;
  // Not given: no file, and the options' own log stream.
  arbiter::service_command_line bare("svc", "A service.");
  const char* none[] = {"svc"};
  bare.parse(1, none);
  EXPECT_FALSE(bare.config_file().has_value());
  EXPECT_EQ(bare.run_options(arbiter::orchestrator_options{.log_stream = stdout}).log_stream, stdout);
  EXPECT_EQ(bare.run_options().log_stream, stderr);
  const char* bad[] = {"svc", "--logs", "syslog"};
  EXPECT_THROW(arbiter::service_command_line("svc", "A service.").parse(3, bad), std::invalid_argument);
}

TEST(service_command_line, usage_ends_with_the_signals_the_exit_codes_and_the_services_notes) {
  const arbiter::service_command_line cli("svc", "A service.", "Exit code 9: the service's own.\n");
  const std::string usage = cli.usage();
  const auto signals = usage.find("Signals: SIGTERM or SIGINT shuts down gracefully");
  ASSERT_NE(signals, std::string::npos) << usage;
  EXPECT_LT(usage.find("--logs"), signals) << "after the options";
  EXPECT_NE(usage.find("SIGHUP reloads the settings"), std::string::npos) << usage;
  EXPECT_NE(usage.find("Exit codes: 0 a clean shutdown, 1 a shutdown hook failed, 2 bad settings or usage, or a "
                       "shutdown step timed out, 3 the shutdown deadline passed, 70 an internal failure.\n"),
            std::string::npos)
      << usage;
  EXPECT_TRUE(usage.ends_with("Exit code 9: the service's own.\n")) << usage;
  EXPECT_EQ(usage, cli.command_line::usage(cli.usage_footer()));
  // The codes are the shutdown's own: a service that changes them prints its own footer from them.
  const std::string custom =
      arbiter::service_command_line::footer(arbiter::exit_codes{.hook_failed = 11, .timed_out = 12});
  EXPECT_NE(custom.find("Exit codes: 0 a clean shutdown, 11 a shutdown hook failed, 2 bad settings or usage, 12 a "
                        "shutdown step timed out, 3"),
            std::string::npos)
      << custom;
  // A bad argument prints the error, then this usage, on stderr, and answers 2.
  arbiter::service_command_line bad("svc", "A service.");
  const char* argv[] = {"svc", "--frobnicate"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(bad.parse_or_usage(2, argv), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("svc: unknown option --frobnicate"), std::string::npos) << err;
  EXPECT_NE(err.find("Exit codes: 0 a clean shutdown"), std::string::npos) << err;
}

TEST(service_sources, layer_the_defaults_the_config_file_the_environment_and_the_overrides) {
  const std::string path = testing::TempDir() + "service_sources.json";
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(R"({"resilience": {"failure_threshold": 4, "success_threshold": 3}})", file);
    std::fclose(file);
  }
  ::setenv("ARBITER_RESILIENCE_SUCCESS_THRESHOLD", "4", 1);
  arbiter::service_command_line cli("svc", "A service.");
  const char* argv[] = {"svc", "--config", path.c_str(), "health.check_interval=2s"};
  cli.parse(4, argv);
  using layered = arbiter::orchestrator<arbiter::service_sources<1>, arbiter::with_logger<arbiter::null_logger>,
                                        arbiter::with_exit<arbiter::recording_exit>>;
  static_assert(std::is_same_v<arbiter::service_sources<1>,
                               arbiter::with_sources<arbiter::json_source, arbiter::json_source,
                                                     arbiter::env_source<"ARBITER">, arbiter::override_source>>);
  const auto sources = arbiter::make_service_sources(
      cli, arbiter::json_source::from_text(R"({"resilience": {"failure_threshold": 9, "open_timeout": "1s"}})",
                                           "<defaults>"));
  const auto settings = std::apply([](auto... s) { return arbiter::peek_config<layered>(std::move(s)...); }, sources);
  ::unsetenv("ARBITER_RESILIENCE_SUCCESS_THRESHOLD");
  std::remove(path.c_str());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ((*settings)->resilience.open_timeout, std::chrono::milliseconds(1000));  // the defaults
  EXPECT_EQ((*settings)->resilience.failure_threshold, 4u);                          // the file over the defaults
  EXPECT_EQ((*settings)->resilience.success_threshold, 4u);                          // the environment over the file
  EXPECT_EQ((*settings)->health.check_interval, std::chrono::milliseconds(2000));    // the override
}
