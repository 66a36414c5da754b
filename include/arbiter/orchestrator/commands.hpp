#pragma once

/// \file
/// answer_commands<Service>(cli, footer, sources...): answers the commands of a command_line that are not a
/// service run (--help, --help-config, --dump-config) for an orchestrator type, before anything is built.

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <arbiter/config/command_line.hpp>
#include <arbiter/config/config.hpp>
#include <arbiter/config/dump.hpp>
#include <arbiter/logging/fmt_logger.hpp>

namespace arbiter::inline v1 {

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
    using logger_type = typename Service::logger_type;
    logger_type logger = [] {
      if constexpr (std::is_same_v<logger_type, fmt_logger>) {
        return fmt_logger(fmt_logger::options{.out = stderr, .level = log_level::warn});
      } else {
        return logger_type{};
      }
    }();
    const typename Service::config_type config(logger, std::forward<S>(sources)...);  // reports to no metrics
    return print(dump_text(config.current()));
  } catch (const config_error& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
}

}  // namespace arbiter::inline v1
