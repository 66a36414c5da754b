#pragma once

/// \file
/// answer_commands<Service>(cli, footer, sources...): answers the commands of a command_line that are not a
/// service run (--help, --help-config, --dump-config) for an orchestrator type, before anything is built.
/// peek_config<Service>(sources...): the settings, read quietly before the service is built, for a choice that
/// shapes its type (such as building it with null_tracer when tracing is off).
/// run_choosing_tracer<Service, Tracer>(parts, options, body, sources, span_file): makes that choice, and runs
/// Service<null_tracer> or Service<Tracer>; with a service_command_line (--config, --trace-file, --logs), main()
/// is one call.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <arbiter/config/command_line.hpp>
#include <arbiter/config/config.hpp>
#include <arbiter/config/dump.hpp>
#include <arbiter/lifecycle/exit_policy.hpp>
#include <arbiter/logging/fmt_logger.hpp>
#include <arbiter/orchestrator.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// The Logger a command uses before the service exists: fmt_logger on stderr at `level`, or the Logger's default.
template <class Logger>
[[nodiscard]] Logger command_logger(log_level level) {
  if constexpr (std::is_same_v<Logger, fmt_logger>) {
    return fmt_logger(fmt_logger::options{.out = stderr, .level = level});
  } else {
    return Logger{};
  }
}

}  // namespace detail

/// The command line of a service on the orchestrator: command_line's arguments (key.path=value and --set
/// overrides, --dump-config, --help-config, --help) and the three every such service takes: `--config PATH` (a
/// settings file for the service's sources, above its defaults and below the environment), `--trace-file PATH`
/// (where a traced run's spans go, see run_choosing_tracer) and `--logs stdout|stderr` (where log lines go;
/// stderr by default). Add the service's own with flag() and option(); they are listed after these. Its usage
/// ends with what every such service shares, its signals and its exit codes (footer()), then the service's own
/// `notes`.
class service_command_line : public command_line {
 public:
  service_command_line(std::string program, std::string summary, std::string_view notes = {})
      : command_line(std::move(program), std::move(summary)), footer_(footer() + std::string(notes)) {
    option("--config", "PATH", "settings from a JSON file (above the defaults, below ARBITER_*)", config_file_)
        .option("--trace-file", "PATH", "spans as JSON lines to PATH (default: stdout) if tracing", trace_file_)
        .option("--logs", "stdout|stderr", "where log lines go (default: stderr)", logs_, {"stdout", "stderr"});
  }
  service_command_line(const service_command_line&) = delete;  // the parser points at the fields
  service_command_line& operator=(const service_command_line&) = delete;
  ~service_command_line() = default;

  /// The settings file `--config` named, if any.
  [[nodiscard]] const std::optional<std::string>& config_file() const noexcept { return config_file_; }
  /// The span file `--trace-file` named, if any.
  [[nodiscard]] const std::optional<std::string>& trace_file() const noexcept { return trace_file_; }
  /// Returns `base` with the log stream `--logs` chose (stdout or stderr; `base`'s when not given).
  [[nodiscard]] orchestrator_options run_options(orchestrator_options base = {}) const noexcept {
    if (logs_) base.log_stream = *logs_ == "stdout" ? stdout : stderr;
    return base;
  }

  /// The usage: command_line's, then usage_footer().
  [[nodiscard]] std::string usage() const { return command_line::usage(footer_); }
  /// What the usage ends with: footer(), then the notes given at construction.
  [[nodiscard]] const std::string& usage_footer() const noexcept { return footer_; }
  /// command_line::parse_or_usage with this usage: on a bad argument, the error and usage() on stderr, and 2.
  [[nodiscard]] std::optional<int> parse_or_usage(int argc, const char* const* argv) {
    return command_line::parse_or_usage(argc, argv, footer_);
  }
  /// The signals an orchestrator handles and the exit codes its run() ends with (`codes`, the default ones);
  /// two meanings of one code are listed together ("2 bad settings or usage, or a shutdown step timed out").
  [[nodiscard]] static std::string footer(const exit_codes& codes = {}) {
    const std::pair<int, std::string_view> meanings[] = {{codes.clean, "a clean shutdown"},
                                                         {codes.hook_failed, "a shutdown hook failed"},
                                                         {2, "bad settings or usage"},
                                                         {codes.timed_out, "a shutdown step timed out"},
                                                         {codes.deadline, "the shutdown deadline passed"},
                                                         {codes.fatal, "an internal failure"}};
    std::string out = "Signals: SIGTERM or SIGINT shuts down gracefully (a second one forces the exit, with " +
                      std::to_string(codes.forced_signal_base) + " + its number);\nSIGHUP reloads the settings.\n" +
                      "Exit codes:";
    for (std::size_t i = 0; i < std::size(meanings); ++i) {
      bool listed = false;
      for (std::size_t j = 0; j < i; ++j) listed = listed || meanings[j].first == meanings[i].first;
      if (listed) continue;
      out += (i == 0 ? " " : ", ") + std::to_string(meanings[i].first) + " " + std::string(meanings[i].second);
      for (std::size_t j = i + 1; j < std::size(meanings); ++j) {
        if (meanings[j].first == meanings[i].first) out += ", or " + std::string(meanings[j].second);
      }
    }
    return out += ".\n";
  }

 private:
  std::optional<std::string> config_file_, trace_file_, logs_;
  std::string footer_;
};

/// --help prints cli.usage(footer); --help-config the reference of every setting of Service's schema (type,
/// default, rules, environment variable); --dump-config loads `sources` and prints the effective value of each
/// setting with its source (warnings, such as an unknown key, go to stderr). Returns the exit code when one of
/// them was asked (0; 2 after a config error, printed to stderr with every problem and its source), else
/// std::nullopt: build and run the service.
template <class Service, class... S>
[[nodiscard]] std::optional<int> answer_commands(const command_line& cli, std::string_view footer, S&&... sources) {
  const auto print = [](const std::string& text) { return std::fputs(text.c_str(), stdout) < 0 ? 1 : 0; };
  if (cli.help()) return print(cli.usage(footer));
  if (cli.help_config()) return print(help_text<typename Service::schema_type>());
  if (!cli.dump_config()) return std::nullopt;
  try {
    auto logger = detail::command_logger<typename Service::logger_type>(log_level::warn);
    const typename Service::config_type config(logger, std::forward<S>(sources)...);  // reports to no metrics
    return print(dump_text(config.current()));
  } catch (const config_error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}

/// Loads Service's settings from `sources` without logging (fmt_logger at level off), for a decision made before
/// the service is built. Returns std::nullopt when they do not load: build the service anyway, and its run()
/// reports every problem with its source and exits with 2.
template <class Service, class... S>
[[nodiscard]] auto peek_config(S&&... sources)
    -> std::optional<std::decay_t<decltype(std::declval<const typename Service::config_type&>().current())>> {
  try {
    auto logger = detail::command_logger<typename Service::logger_type>(log_level::off);
    const typename Service::config_type config(logger, std::forward<S>(sources)...);
    return config.current();
  } catch (const config_error&) {
    return std::nullopt;
  }
}

/// Runs `Service<Tracer>::run(parts, options, body, sources...)`, or `Service<null_tracer>::run(...)` when the
/// settings say observability.tracing_enabled=false, so that a service with tracing off is built without it and
/// pays nothing for it (`Service` is an alias template over the Tracer: `template <class T> using service =
/// orchestrator<..., with_tracer<T>>`). `body` is called with either service (a generic lambda); `sources()`
/// returns a tuple of fresh sources, called once for the first look (peek_config) and once for the run. Settings
/// that do not load mean tracing on: the run then lists every problem and exits with 2. The untraced run says so in
/// its log, at info: "tracing is off: the service is built with null_tracer".
///
/// Both services are compiled, so a service built this way costs about twice the compile time and code of one
/// built with its Tracer alone; the run pays nothing for the choice.
///
/// With `span_file`, the spans of a traced run go to that file (created or truncated) instead of
/// `options.span_stream`; it is opened only when tracing is on, and one that cannot be opened is said on stderr,
/// with exit code 2, before anything is built.
template <template <class> class Service, class Tracer, class... I, class Body, class Sources>
int run_choosing_tracer(std::tuple<I...> parts, orchestrator_options options, Body&& body, Sources&& sources,
                        const char* span_file = nullptr, std::string_view span_file_from = "the span file") {
  using untraced = Service<null_tracer>;
  using traced = Service<Tracer>;
  const auto peek = [](auto&&... s) { return peek_config<untraced>(std::forward<decltype(s)>(s)...); };
  if (const auto settings = std::apply(peek, sources()); settings && !(*settings)->observability.tracing_enabled) {
    const auto logged = [&body](untraced& svc) {
      svc.logger().log(log_level::info, "tracing is off: the service is built with null_tracer",
                       kv("setting", std::string_view("observability.tracing_enabled=false")));
      return body(svc);
    };
    return std::apply(
        [&](auto&&... s) { return untraced::run(std::move(parts), options, logged, std::forward<decltype(s)>(s)...); },
        sources());
  }
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(span_file ? std::fopen(span_file, "w") : nullptr,
                                                             &std::fclose);
  if (span_file && !file) {
    const std::string what(span_file_from);
    std::fprintf(stderr, "arbiter: cannot open %s %s for writing: %s\n", what.c_str(), span_file, std::strerror(errno));
    return 2;
  }
  if (file) options.span_stream = file.get();
  return std::apply(
      [&](auto&&... s) { return traced::run(std::move(parts), options, body, std::forward<decltype(s)>(s)...); },
      sources());
}

/// run_choosing_tracer() for main(): answers the commands of `cli` first (answer_commands<Service<Tracer>>, with
/// `footer` under --help), and returns their exit code when one was asked.
template <template <class> class Service, class Tracer, class... I, class Body, class Sources>
int run_choosing_tracer(const command_line& cli, std::string_view footer, std::tuple<I...> parts,
                        orchestrator_options options, Body&& body, Sources&& sources, const char* span_file = nullptr,
                        std::string_view span_file_from = "the span file") {
  const auto answer = [&](auto&&... s) {
    return answer_commands<Service<Tracer>>(cli, footer, std::forward<decltype(s)>(s)...);
  };
  if (const auto code = std::apply(answer, sources())) return *code;
  return run_choosing_tracer<Service, Tracer>(std::move(parts), options, std::forward<Body>(body),
                                              std::forward<Sources>(sources), span_file, span_file_from);
}

/// run_choosing_tracer() for main() with a service_command_line: answers its commands (--help prints its
/// usage()), then runs with `base` changed by its `--logs`, and its `--trace-file`.
template <template <class> class Service, class Tracer, class... I, class Body, class Sources>
int run_choosing_tracer(const service_command_line& cli, std::tuple<I...> parts, Body&& body, Sources&& sources,
                        orchestrator_options base = {}) {
  return run_choosing_tracer<Service, Tracer>(
      static_cast<const command_line&>(cli), cli.usage_footer(), std::move(parts), cli.run_options(base),
      std::forward<Body>(body), std::forward<Sources>(sources), cli.trace_file() ? cli.trace_file()->c_str() : nullptr,
      "the --trace-file");
}

}  // namespace arbiter::inline v1
