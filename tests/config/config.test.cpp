// config<>: defaults, environment, overrides, validation and its messages, reload, the global accessor,
// dump and help, and the orchestrator preset.
#include <arbiter/config.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/hana/adapt_struct.hpp>

#include <arbiter/logging/recording_logger.hpp>

namespace app {

using namespace std::chrono_literals;
using namespace arbiter::literals;

enum class mode : std::uint8_t { fast, safe };
constexpr auto enum_entries(mode /*tag*/) {
  return std::array{arbiter::enum_entry<mode>{mode::fast, "fast"}, arbiter::enum_entry<mode>{mode::safe, "safe"}};
}

struct server {
  std::string host = "localhost";
  std::uint16_t port = 8080;
  std::chrono::milliseconds timeout = 250ms;

  static constexpr auto config_rules = arbiter::rules(arbiter::field<"host">(arbiter::non_empty, arbiter::restart_only),
                                                      arbiter::field<"port">(arbiter::range(1024, 65535)),
                                                      arbiter::field<"timeout">(arbiter::range(1ms, 1min)));
};

struct database {
  arbiter::secret<std::string> password{"changeme-please"};
  std::vector<std::string> replicas;
  std::optional<std::int32_t> pool_size;
  arbiter::byte_size cache = 64_KiB;
  std::chrono::seconds idle = 30s;
  std::string url = "postgres://localhost/app";

  static constexpr auto config_rules = arbiter::rules(
      arbiter::field<"password">(arbiter::min_length(12)), arbiter::field<"replicas">(arbiter::max_length(3)),
      arbiter::field<"pool_size">(arbiter::range(1, 64)), arbiter::field<"cache">(arbiter::max(1_GiB)),
      arbiter::field<"idle">(arbiter::bare_unit<std::chrono::seconds>),
      arbiter::field<"url">(arbiter::non_empty, arbiter::env_name<"DATABASE_URL">));
};

struct limits {
  int low = 1;
  int high = 10;
  mode strategy = mode::safe;
  double ratio = 0.5;
  std::vector<int> ports{80, 443};

  static constexpr auto config_rules =
      arbiter::rules(arbiter::field<"ratio">(arbiter::range(0.0, 1.0)),
                     arbiter::field<"low">(arbiter::check([](int v) { return v % 2 == 1; }, "an odd number")),
                     arbiter::field<"ports">(arbiter::range(1, 65535), arbiter::non_empty));

  void validate(arbiter::validation_context& context) const {
    if (low > high) context.fail("low", "must not be above limits.high", {"high"});
  }
};

struct app_config {
  server srv;
  database db;
  limits lim;
};

struct vault {
  std::optional<arbiter::secret<std::vector<int>>> pins;
  arbiter::secret<std::chrono::seconds> rotate{60s};
  arbiter::secret<arbiter::byte_size> quota{1_MiB};
  static constexpr auto config_rules = arbiter::rules(arbiter::field<"pins">(arbiter::range(0, 9999)));
};
struct vault_root {
  vault v;
};

}  // namespace app

BOOST_HANA_ADAPT_STRUCT(app::vault, pins, rotate, quota);
BOOST_HANA_ADAPT_STRUCT(app::vault_root, v);
BOOST_HANA_ADAPT_STRUCT(app::server, host, port, timeout);
BOOST_HANA_ADAPT_STRUCT(app::database, password, replicas, pool_size, cache, idle, url);
BOOST_HANA_ADAPT_STRUCT(app::limits, low, high, strategy, ratio, ports);
BOOST_HANA_ADAPT_STRUCT(app::app_config, srv, db, lim);

namespace {

using namespace std::chrono_literals;
using app::app_config;
using env = arbiter::env_source<"APP">;

// Environment names are derived at compile time; a field can name its own.
/// Returns where `path`'s value came from; an unknown path fails the test instead of dereferencing a null.
template <class Schema>
arbiter::value_origin origin_of(const arbiter::snapshot<Schema>& snap, std::string_view path) {
  if (const auto* origin = snap.origin(path)) return *origin;
  ADD_FAILURE() << "no value at " << path;
  return {};
}

static_assert(arbiter::env_variable_names<app_config, "APP">[1].view() == "APP_SRV_PORT");
static_assert(arbiter::env_variable_names<app_config, "APP">[8].view() == "DATABASE_URL");
static_assert(arbiter::env_variable_names<app_config, "">[0].view() == "SRV_HOST");
static_assert(arbiter::schema_size<app_config> == 14);
static_assert(arbiter::schema_leaves<app_config>[0].restart_only);
static_assert(arbiter::schema_leaves<app_config>[3].secret);

/// An environment made of a map, so tests neither touch nor depend on the process environment.
env fake_env(std::map<std::string, std::string> vars) {
  return env([vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::vector<std::string> messages(const arbiter::config_error& e) {
  std::vector<std::string> out;
  for (const auto& issue : e.issues()) out.push_back(issue.message);
  return out;
}

std::vector<std::string> load_errors(std::map<std::string, std::string> vars, std::vector<std::string> overrides = {}) {
  const auto result =
      arbiter::load_config<app_config>(fake_env(std::move(vars)), arbiter::override_source(std::move(overrides)));
  std::vector<std::string> out;
  for (const auto& issue : result.issues) out.push_back(issue.message);
  return out;
}

// ---- defaults -------------------------------------------------------------------------------------------

TEST(ConfigDefaults, ComeFromMemberInitializers) {
  const arbiter::config<app_config> cfg;
  const auto snap = cfg.current();
  EXPECT_EQ(snap->srv.host, "localhost");
  EXPECT_EQ(snap->srv.port, 8080);
  EXPECT_EQ(snap->srv.timeout, 250ms);
  EXPECT_EQ(snap->db.password.reveal(), "changeme-please");
  EXPECT_TRUE(snap->db.replicas.empty());
  EXPECT_FALSE(snap->db.pool_size.has_value());
  EXPECT_EQ(snap->lim.strategy, app::mode::safe);
  EXPECT_EQ(snap->lim.ports, (std::vector<int>{80, 443}));
}

TEST(ConfigDefaults, RememberThatTheyAreDefaults) {
  const arbiter::config<app_config, env> cfg(fake_env({}));
  const auto snap = cfg.current();
  ASSERT_NE(snap.origin("srv.port"), nullptr);
  EXPECT_EQ(origin_of(snap, "srv.port").kind, arbiter::origin_kind::default_value);
  EXPECT_EQ(origin_of(snap, "srv.port").describe(), "the default");
  EXPECT_EQ(snap.origin("no.such.path"), nullptr);
  EXPECT_EQ(snap.origins().size(), arbiter::schema_size<app_config>);
}

// ---- environment ----------------------------------------------------------------------------------------

TEST(ConfigEnvironment, OverridesDefaultsAndRecordsTheVariable) {
  const arbiter::config<app_config, env> cfg(
      fake_env({{"APP_SRV_PORT", "9090"}, {"APP_SRV_TIMEOUT", "1s"}, {"APP_LIM_STRATEGY", "FAST"}}));
  const auto snap = cfg.current();
  EXPECT_EQ(snap->srv.port, 9090);
  EXPECT_EQ(snap->srv.timeout, 1s);
  EXPECT_EQ(snap->lim.strategy, app::mode::fast);
  EXPECT_EQ(origin_of(snap, "srv.port").kind, arbiter::origin_kind::environment);
  EXPECT_EQ(origin_of(snap, "srv.port").describe(), "APP_SRV_PORT");
  EXPECT_EQ(snap->srv.host, "localhost");
}

TEST(ConfigEnvironment, ReadsListsOptionalsSecretsAndSizes) {
  const arbiter::config<app_config, env> cfg(fake_env({{"APP_DB_REPLICAS", "a, b ,c"},
                                                       {"APP_DB_POOL_SIZE", " 16 "},
                                                       {"APP_DB_PASSWORD", "correct horse battery"},
                                                       {"APP_DB_CACHE", "128MiB"},
                                                       {"APP_DB_IDLE", "90"},
                                                       {"APP_LIM_PORTS", "8080"}}));
  const auto snap = cfg.current();
  EXPECT_EQ(snap->db.replicas, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(snap->db.pool_size, 16);
  EXPECT_EQ(snap->db.password.reveal(), "correct horse battery");
  EXPECT_EQ(snap->db.cache.bytes, 128ULL << 20U);
  EXPECT_EQ(snap->db.idle, 90s) << "the field names seconds as its bare unit";
  EXPECT_EQ(snap->lim.ports, std::vector<int>{8080});
}

TEST(ConfigEnvironment, AFieldCanNameItsOwnVariable) {
  const arbiter::config<app_config, env> cfg(fake_env({{"DATABASE_URL", "postgres://db/prod"}, {"APP_DB_URL", "x"}}));
  EXPECT_EQ(cfg.current()->db.url, "postgres://db/prod");
  EXPECT_EQ(origin_of(cfg.current(), "db.url").where, "DATABASE_URL");
}

TEST(ConfigEnvironment, ReadsTheProcessEnvironmentByDefault) {
  ::setenv("APP_SRV_PORT", "4242", 1);
  const arbiter::config<app_config, env> cfg{env{}};
  ::unsetenv("APP_SRV_PORT");
  EXPECT_EQ(cfg.current()->srv.port, 4242);
}

TEST(ConfigOverrides, WinOverTheEnvironment) {
  const arbiter::config<app_config, env, arbiter::override_source> cfg(
      fake_env({{"APP_SRV_PORT", "9090"}}), arbiter::override_source({"srv.port=7070", "lim.ratio = 0.25"}));
  EXPECT_EQ(cfg.current()->srv.port, 7070);
  EXPECT_DOUBLE_EQ(cfg.current()->lim.ratio, 0.25) << "spaces around the key are trimmed";
  EXPECT_EQ(origin_of(cfg.current(), "srv.port").describe(), "override srv.port");
}

TEST(ConfigOverrides, ComeFromTheCommandLine) {
  const char* argv[] = {"demo", "--set", "srv.port=7000", "--verbose", "--set=lim.high=20", "--set"};
  const auto overrides = arbiter::override_source::from_args(6, argv);
  EXPECT_EQ(overrides.pairs(), (std::vector<std::string>{"srv.port=7000", "lim.high=20"}));
  const arbiter::config<app_config, arbiter::override_source> cfg(overrides);
  EXPECT_EQ(cfg.current()->lim.high, 20);
}

// ---- validation and messages ----------------------------------------------------------------------------

TEST(ConfigValidation, NamesPathValueSourceAndExpectation) {
  EXPECT_EQ(load_errors({{"APP_SRV_PORT", "70000"}}),
            std::vector<std::string>{"srv.port: 70000 from APP_SRV_PORT is above the maximum 65535"});
  EXPECT_EQ(load_errors({{"APP_SRV_PORT", "80"}}),
            std::vector<std::string>{"srv.port: 80 from APP_SRV_PORT is below the minimum 1024"});
  EXPECT_EQ(load_errors({}, {"lim.ratio=1.5"}),
            std::vector<std::string>{"lim.ratio: 1.5 from override lim.ratio is above the maximum 1"});
}

TEST(ConfigValidation, CollectsEveryProblemInOneError) {
  try {
    const arbiter::config<app_config, env, arbiter::override_source> cfg(
        fake_env({{"APP_SRV_PORT", "abc"},
                  {"APP_SRV_HOST", ""},
                  {"APP_SRV_TIMEOUT", "5000"},
                  {"APP_LIM_STRATEGY", "slow"},
                  {"APP_DB_POOL_SIZE", "1e3"},
                  {"APP_DB_CACHE", "1G"},
                  {"APP_LIM_LOW", "12"},
                  {"APP_LIM_PORTS", "80,99999"},
                  {"APP_DB_REPLICAS", "a,b,c,d"}}),
        arbiter::override_source({"srv.prot=1", "broken"}));
    FAIL() << "invalid config was accepted";
  } catch (const arbiter::config_error& e) {
    EXPECT_EQ(messages(e),
              (std::vector<std::string>{
                  "override broken: is not of the form key.path=value",
                  "srv.prot: unknown key from override srv.prot; did you mean srv.port?",
                  "srv.host: \"\" from APP_SRV_HOST is empty",
                  "srv.port: abc from APP_SRV_PORT is not an unsigned integer",
                  "srv.timeout: 5000 from APP_SRV_TIMEOUT has no unit, expected a duration like 250ms, 5s, 1m30s or 2h",
                  "db.replicas: a,b,c,d from APP_DB_REPLICAS has more items than the maximum 3",
                  "db.pool_size: 1e3 from APP_DB_POOL_SIZE is not an integer",
                  "db.cache: 1G from APP_DB_CACHE is ambiguous: write GiB for binary (1024-based) or GB for decimal "
                  "(1000-based)",
                  "lim.low: 12 from APP_LIM_LOW is not an odd number",
                  "lim.strategy: slow from APP_LIM_STRATEGY is not one of fast, safe",
                  "lim.ports: 80,99999 from APP_LIM_PORTS has item 2 (99999) that is above the maximum 65535",
                  "lim.low: must not be above limits.high; lim.low from APP_LIM_LOW, lim.high from the default",
              }));
    EXPECT_NE(std::string(e.what()).find("invalid configuration:\n  override broken"), std::string::npos);
  }
}

TEST(ConfigValidation, RunsCrossFieldRulesAndChecksEmptyLists) {
  EXPECT_EQ(load_errors({{"APP_LIM_LOW", "11"}, {"APP_LIM_HIGH", "3"}}),
            std::vector<std::string>{
                "lim.low: must not be above limits.high; lim.low from APP_LIM_LOW, lim.high from APP_LIM_HIGH"});
  EXPECT_EQ(load_errors({{"APP_LIM_PORTS", ""}}),
            std::vector<std::string>{"lim.ports: \"\" from APP_LIM_PORTS is an empty list"});
}

TEST(ConfigValidation, NeverShowsASecret) {
  const auto errors = load_errors({{"APP_DB_PASSWORD", "hunter2"}});
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0], "db.password: *** from APP_DB_PASSWORD is shorter than the minimum length 12");
  EXPECT_EQ(errors[0].find("hunter2"), std::string::npos);
}

TEST(ConfigValidation, MasksSecretsInsideOptionalsAndLists) {
  static_assert(arbiter::schema_leaves<app::vault_root>[0].secret);
  const auto parse = arbiter::load_config<app::vault_root>(arbiter::override_source({"v.pins=1234,x"}));
  ASSERT_EQ(parse.issues.size(), 1U);
  EXPECT_EQ(parse.issues[0].message, "v.pins: *** from override v.pins has item 2 (***) that is not an integer");
  const auto range = arbiter::load_config<app::vault_root>(arbiter::override_source({"v.pins=12345"}));
  ASSERT_EQ(range.issues.size(), 1U);
  EXPECT_EQ(range.issues[0].message,
            "v.pins: *** from override v.pins has item 1 (***) that is above the maximum 9999");
  const auto ok = arbiter::load_config<app::vault_root>(arbiter::override_source({"v.pins=1,2"}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value.v.pins->reveal(), (std::vector<int>{1, 2}));
}

TEST(ConfigValidation, NeverQuotesAPartOfASecret) {
  const auto result = arbiter::load_config<app::vault_root>(
      arbiter::override_source({"v.rotate=5hunter2", "v.quota=5hunter", "v.quota=1G"}));
  std::vector<std::string> messages;
  for (const auto& issue : result.issues) messages.push_back(issue.message);
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "v.rotate: *** from override v.rotate has an unknown unit (use ns, us, ms, s, m, h or d)",
                          "v.quota: *** from override v.quota has an unknown unit (use B, KB, MB, GB, TB, KiB, MiB, "
                          "GiB or TiB)",
                          "v.quota: *** from override v.quota is ambiguous: write a binary (1024-based, like MiB) or "
                          "a decimal (1000-based, like MB) unit",
                      }));
}

TEST(ConfigValidation, ReportsABadValueEvenWhenAHigherLayerReplacesIt) {
  EXPECT_EQ(load_errors({{"APP_SRV_PORT", "x"}}, {"srv.port=9000"}),
            std::vector<std::string>{"srv.port: x from APP_SRV_PORT is not an unsigned integer"});
}

// ---- reload ---------------------------------------------------------------------------------------------

/// An environment the test can change between reloads.
struct mutable_env {
  std::shared_ptr<std::map<std::string, std::string>> vars = std::make_shared<std::map<std::string, std::string>>();
  [[nodiscard]] env source() const {
    return env([vars = vars](const char* name) -> std::optional<std::string> {
      const auto it = vars->find(name);
      if (it == vars->end()) return std::nullopt;
      return it->second;
    });
  }
};

TEST(ConfigReload, SwapsSnapshotsAndNotifiesWithChangedPaths) {
  mutable_env vars;
  arbiter::recording_logger log;
  arbiter::basic_config<app_config, arbiter::recording_logger, env> cfg(log, vars.source());
  std::vector<std::vector<std::string>> heard;
  cfg.subscribe([&](const arbiter::reload_event<app_config>& event) {
    heard.push_back(event.result.changed);
    EXPECT_EQ(event.current->srv.port, 9000);
  });
  const auto before = cfg.current();

  (*vars.vars)["APP_SRV_PORT"] = "9000";
  (*vars.vars)["APP_LIM_RATIO"] = "0.75";
  const auto result = cfg.reload();
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(result.applied);
  EXPECT_EQ(result.changed, (std::vector<std::string>{"srv.port", "lim.ratio"}));
  EXPECT_EQ(heard, (std::vector<std::vector<std::string>>{{"srv.port", "lim.ratio"}}));
  EXPECT_EQ(cfg.current()->srv.port, 9000);
  EXPECT_GT(cfg.current().version(), before.version());
  EXPECT_EQ(before->srv.port, 8080) << "a held snapshot never changes";
  EXPECT_EQ(log.count("config reloaded"), 1U);

  const auto unchanged = cfg.reload();
  EXPECT_FALSE(unchanged.applied);
  EXPECT_TRUE(unchanged.changed.empty());
  EXPECT_EQ(heard.size(), 1U) << "nothing changed, nobody is told";
}

TEST(ConfigReload, AFailedReloadKeepsThePreviousSnapshotAndReports) {
  mutable_env vars;
  (*vars.vars)["APP_SRV_PORT"] = "9000";
  arbiter::recording_logger log;
  arbiter::basic_config<app_config, arbiter::recording_logger, env> cfg(log, vars.source());
  std::vector<std::string> heard;
  const auto id = cfg.subscribe([&](const arbiter::reload_event<app_config>& event) {
    for (const auto& issue : event.result.issues) heard.push_back(issue.message);
    EXPECT_EQ(event.current->srv.port, 9000);
  });
  const auto before = cfg.current();

  (*vars.vars)["APP_SRV_PORT"] = "70000";
  (*vars.vars)["APP_LIM_RATIO"] = "0.9";  // good on its own, but the reload is all or nothing
  const auto result = cfg.reload();
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(cfg.current().version(), before.version());
  EXPECT_EQ(cfg.current()->srv.port, 9000);
  EXPECT_DOUBLE_EQ(cfg.current()->lim.ratio, 0.5);
  EXPECT_EQ(heard, std::vector<std::string>{"srv.port: 70000 from APP_SRV_PORT is above the maximum 65535"});
  const auto record = log.last("config reload rejected");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->level, arbiter::log_level::error);
  EXPECT_EQ(record->field("path"), "srv.port");

  cfg.unsubscribe(id);
  (*vars.vars)["APP_SRV_PORT"] = "9001";
  EXPECT_TRUE(cfg.reload().applied);
  EXPECT_EQ(heard.size(), 1U);
  EXPECT_EQ(cfg.current()->srv.port, 9001);
  EXPECT_DOUBLE_EQ(cfg.current()->lim.ratio, 0.9);
}

TEST(ConfigReload, ReportsRestartOnlyChangesInsteadOfApplyingThem) {
  mutable_env vars;
  arbiter::recording_logger log;
  arbiter::basic_config<app_config, arbiter::recording_logger, env> cfg(log, vars.source());
  (*vars.vars)["APP_SRV_HOST"] = "0.0.0.0";
  (*vars.vars)["APP_SRV_TIMEOUT"] = "1s";
  const auto result = cfg.reload();
  ASSERT_EQ(result.needs_restart.size(), 1U);
  EXPECT_EQ(result.needs_restart[0].path, "srv.host");
  EXPECT_EQ(result.needs_restart[0].running, "localhost");
  EXPECT_EQ(result.needs_restart[0].requested, "0.0.0.0");
  EXPECT_EQ(result.changed, std::vector<std::string>{"srv.timeout"});
  EXPECT_EQ(cfg.current()->srv.host, "localhost");
  EXPECT_EQ(origin_of(cfg.current(), "srv.host").kind, arbiter::origin_kind::default_value);
  EXPECT_EQ(cfg.current()->srv.timeout, 1s);
  EXPECT_EQ(log.count("config change needs a restart"), 1U);
}

// ---- the global accessor --------------------------------------------------------------------------------

TEST(ConfigGlobal, InstallsResetsAndLoadsDefaultsOnFirstUse) {
  using global = arbiter::global_config<app_config>;
  global::reset();
  EXPECT_FALSE(global::installed());
  const arbiter::config<app_config, arbiter::override_source> cfg(arbiter::override_source({"srv.port=6000"}));
  global::install(cfg.store());
  EXPECT_EQ(global::current()->srv.port, 6000);
  global::reset();
  EXPECT_EQ(global::current()->srv.port, 8080) << "after a reset, first use loads defaults and the environment";
  EXPECT_TRUE(global::installed());
  global::reset();

  arbiter::global_config<arbiter::orchestrator_config>::reset();
  EXPECT_EQ(arbiter::get_config()->resilience.failure_threshold, 5U);
  arbiter::global_config<arbiter::orchestrator_config>::reset();
}

// ---- dump and help --------------------------------------------------------------------------------------

TEST(ConfigDump, ShowsValuesWithSourcesAndRedactsSecrets) {
  const arbiter::config<app_config, env> cfg(
      fake_env({{"APP_SRV_PORT", "9090"}, {"APP_DB_PASSWORD", "s3cret-value-x"}}));
  const std::string text = arbiter::dump_text(cfg.current());
  EXPECT_NE(text.find("srv.port = 9090  (from APP_SRV_PORT)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("srv.timeout = 250ms  (from the default)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db.password = ***  (from APP_DB_PASSWORD)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db.pool_size = (unset)"), std::string::npos) << text;
  EXPECT_NE(text.find("db.replicas = \"\"  (from the default)\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos);

  const std::string json = arbiter::dump_json(cfg.current());
  EXPECT_NE(json.find(R"("srv.port":{"value":9090,"source":"environment","from":"APP_SRV_PORT"})"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("db.password":{"value":"***","source":"environment")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("lim.ports":{"value":[80,443],"source":"default"})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("db.pool_size":{"value":null,)"), std::string::npos) << json;
  EXPECT_EQ(json.find("s3cret"), std::string::npos);
}

TEST(ConfigHelp, ListsTypeDefaultRulesAndVariableOfEveryKey) {
  const std::string help = arbiter::help_text<app_config, "APP">();
  EXPECT_NE(help.find("srv.port\n    type:    uint16\n    default: 8080\n    rules:   1024..65535\n"
                      "    env:     APP_SRV_PORT\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("srv.host\n    type:    string\n    default: localhost\n    rules:   non-empty\n"
                      "    restart: needed to change\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("db.password\n    type:    secret string\n    default: ***\n    rules:   length >= 12\n"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("rules:   a bare number is in seconds"), std::string::npos) << help;
  EXPECT_NE(help.find("env:     DATABASE_URL"), std::string::npos) << help;
  EXPECT_NE(help.find("type:    enum (fast|safe)"), std::string::npos) << help;
  EXPECT_NE(help.find("rules:   an odd number"), std::string::npos) << help;

  const std::string table = arbiter::help_markdown<app_config, "APP">();
  EXPECT_EQ(table.rfind("| key | type | default | rules | environment variable |\n| --- |", 0), 0U) << table;
  EXPECT_NE(table.find("| `srv.host` | string | `localhost` | non-empty; restart-only | `APP_SRV_HOST` |\n"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("| `lim.strategy` | enum (fast\\|safe) | `safe` |  | `APP_LIM_STRATEGY` |\n"), std::string::npos)
      << table;
}

// ---- the orchestrator preset ----------------------------------------------------------------------------

TEST(OrchestratorConfig, KeepsTheSeedsDefaults) {
  const arbiter::config<arbiter::orchestrator_config, arbiter::env_source<>> cfg(
      arbiter::env_source<>([](const char*) -> std::optional<std::string> { return std::nullopt; }));
  const auto snap = cfg.current();
  EXPECT_EQ(snap->environment, arbiter::deployment_environment::development);
  EXPECT_EQ(snap->resilience.failure_threshold, 5U);
  EXPECT_EQ(snap->resilience.success_threshold, 2U);
  EXPECT_EQ(snap->resilience.open_timeout, 5000ms);
  EXPECT_EQ(snap->resilience.operation_timeout, 5000ms);
  EXPECT_EQ(snap->shutdown.timeout, 30000ms);
  EXPECT_EQ(snap->server.port, 8080);
  EXPECT_EQ(snap->observability.log_level, arbiter::log_level::info);
}

TEST(OrchestratorConfig, ReadsArbiterVariablesAndChecksCrossFieldRules) {
  const std::map<std::string, std::string> vars{{"ARBITER_ENVIRONMENT", "Production"},
                                                {"ARBITER_RESILIENCE_FAILURE_THRESHOLD", "7"},
                                                {"ARBITER_OBSERVABILITY_LOG_LEVEL", "warning"},
                                                {"ARBITER_HEALTH_CHECK_TIMEOUT", "1m"}};
  const auto lookup = [&](const char* name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const auto result = arbiter::load_config<arbiter::orchestrator_config>(arbiter::env_source<>(lookup));
  std::vector<std::string> errors;
  for (const auto& issue : result.issues) errors.push_back(issue.message);
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "observability.log_level: warning from ARBITER_OBSERVABILITY_LOG_LEVEL is not one of trace, "
                        "debug, info, warn, error, critical, off",
                        "health.check_timeout: 1m is longer than health.check_interval (10s); "
                        "health.check_timeout from ARBITER_HEALTH_CHECK_TIMEOUT, health.check_interval from the "
                        "default"}));
  EXPECT_EQ(result.value.environment, arbiter::deployment_environment::production);
  EXPECT_EQ(result.value.resilience.failure_threshold, 7U);
}

}  // namespace
