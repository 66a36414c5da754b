#pragma once

/// \file
/// `config<Schema, Sources...>`: loads a schema from layered sources, hands out immutable snapshots, reloads
/// safely and tells subscribers what changed.
///
///   arbiter::config<app_config, arbiter::env_source<"APP">, arbiter::override_source> cfg(
///       arbiter::env_source<"APP">{}, arbiter::override_source::from_args(argc, argv));
///   auto snap = cfg.current();      // never blocks
///   serve(snap->server.port);       // a plain member read
///   cfg.reload();                   // all or nothing: a bad reload keeps the previous snapshot
///
/// The second template argument is the Logger, or `config_policies<Logger, Metrics, Clock>` to report reloads
/// through a Metrics policy as well (config_metrics.hpp):
///   arbiter::basic_config<app_config, arbiter::config_policies<arbiter::fmt_logger, arbiter::metrics_registry>,
///                         arbiter::env_source<"APP">> cfg({log, registry}, arbiter::env_source<"APP">{});

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/clock/clock.hpp>
#include <arbiter/config/config_metrics.hpp>
#include <arbiter/config/loader.hpp>
#include <arbiter/config/schema.hpp>
#include <arbiter/config/snapshot.hpp>
#include <arbiter/config/source.hpp>
#include <arbiter/detail/concat.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/logging/logger.hpp>
#include <arbiter/logging/null_logger.hpp>
#include <arbiter/metrics/metrics.hpp>
#include <arbiter/metrics/null_metrics.hpp>

namespace arbiter::inline v1 {

/// The policies of a config, as types and as values: `config_policies<fmt_logger, metrics_registry>{log, registry}`.
/// The Clock is read only to time-stamp good loads for the metrics (a manual_clock in tests).
template <class L = null_logger, class M = null_metrics, class C = steady_clock>
struct config_policies {
  using logger_type = L;
  using metrics_type = M;
  using clock_type = C;

  [[no_unique_address]] L logger{};
  [[no_unique_address]] M metrics{};
  [[no_unique_address]] C clock{};
};

namespace detail {
/// basic_config's second argument as a config_policies: a Logger alone is `config_policies<Logger>`.
template <class P>
struct config_policies_of {
  using type = config_policies<P>;
  static config_policies<P> from(P logger) { return {std::move(logger), {}, {}}; }
};
template <class L, class M, class C>
struct config_policies_of<config_policies<L, M, C>> {
  using type = config_policies<L, M, C>;
  static config_policies<L, M, C> from(config_policies<L, M, C> policies) { return policies; }
};
}  // namespace detail

/// A restart-only field whose new value was not applied.
struct pending_restart {
  std::string path;
  std::string running;    ///< the value still in effect (redacted for secrets)
  std::string requested;  ///< the value the sources now ask for (redacted for secrets)
};

/// What a reload did.
struct reload_result {
  bool applied = false;                        ///< a new snapshot was published
  std::vector<std::string> changed;            ///< paths whose value changed and took effect
  std::vector<pending_restart> needs_restart;  ///< restart-only paths that changed but were kept
  std::vector<config_issue> issues;            ///< errors (nothing applied) and warnings

  /// True when the sources were valid (whether or not anything changed).
  [[nodiscard]] bool ok() const noexcept {
    for (const auto& issue : issues) {
      if (issue.severity == issue_severity::error) return false;
    }
    return true;
  }
};

/// What subscribers hear after each reload attempt.
template <class Schema>
struct reload_event {
  const reload_result& result;
  snapshot<Schema> current;  ///< the snapshot in effect after the attempt (the old one when it failed)
};

/// Loads `Schema` from `Sources` (lowest precedence first), logging reload problems through a Logger. `P` is that
/// Logger, or a config_policies with the Logger, a Metrics policy and a Clock.
template <class Schema, class P, class... Sources>
class basic_config {
  using policies_of = detail::config_policies_of<P>;

 public:
  using policies_type = typename policies_of::type;
  using logger_type = typename policies_type::logger_type;
  using metrics_type = typename policies_type::metrics_type;
  using clock_type = typename policies_type::clock_type;

 private:
  static_assert(assert_logger<logger_type>());
  static_assert(assert_metrics<metrics_type>());
  static_assert(assert_clock<clock_type>());
  static_assert((assert_config_source<Sources, Schema>() && ...));

 public:
  using schema_type = Schema;
  using subscriber = std::function<void(const reload_event<Schema>&)>;

  /// Loads from `sources`; throws config_error listing every problem if they are invalid.
  explicit basic_config(Sources... sources) requires std::default_initializable<P>
      : basic_config(P{}, std::move(sources)...) {}

  /// Loads from `sources`, with `policies` (the Logger, or a config_policies); throws config_error listing every
  /// problem. A metrics_error when the Metrics policy cannot make the config's series.
  explicit basic_config(P policies, Sources... sources)
      : basic_config(std::in_place, policies_of::from(std::move(policies)), std::move(sources)...) {}

  /// Loads from `sources` with the Logger alone, when `P` is a config_policies: the config then reports to a
  /// default Metrics policy (null_metrics: no one) and reads a default Clock. How a first look at the settings,
  /// before the service is built, loads them.
  explicit basic_config(logger_type logger, Sources... sources) requires(!std::is_same_v<P, logger_type> &&
                                                                         std::default_initializable<metrics_type> &&
                                                                         std::default_initializable<clock_type>)
      : basic_config(std::in_place, policies_type{std::move(logger), {}, {}}, std::move(sources)...) {}

  basic_config(const basic_config&) = delete;
  basic_config& operator=(const basic_config&) = delete;

  /// Returns the current snapshot; cheap, never blocks on a reload.
  [[nodiscard]] snapshot<Schema> current() const { return store_->current(); }

  /// Returns the store behind this config, to share snapshots with code that does not know the sources.
  [[nodiscard]] const std::shared_ptr<snapshot_store<Schema>>& store() const noexcept { return store_; }

  /// Returns the sources, in precedence order.
  [[nodiscard]] const std::tuple<Sources...>& sources() const noexcept { return sources_; }

  /// Re-reads every source, validates, and publishes the result if it is valid and differs. On any error the
  /// current snapshot stays as it is, and the errors go to the logger and to subscribers. Restart-only fields
  /// keep their running value and are reported in `needs_restart`. Callbacks run on the calling thread and
  /// must not call reload().
  reload_result reload() {
    const std::lock_guard lock(reload_mutex_);
    auto loaded = std::apply([](const auto&... s) { return load_config<Schema>(s...); }, sources_);
    reload_result result;
    result.issues = std::move(loaded.issues);
    const snapshot<Schema> before = store_->current();
    for (const auto& issue : result.issues) {
      if (issue.severity == issue_severity::warning) {
        logger_.log(log_level::warn, "config warning", kv("path", issue.path), kv("problem", issue.message));
      }
    }
    if (!result.ok()) {
      for (const auto& issue : result.issues) {
        if (issue.severity == issue_severity::error) {
          logger_.log(log_level::error, "config reload rejected", kv("path", issue.path), kv("problem", issue.message));
        }
      }
      instruments_.rejected();
      notify(result, before);
      return result;
    }
    snapshot_data<Schema> next{std::move(loaded.value), std::move(loaded.origins), 0};
    diff(*before, before.origins(), next, result);
    instruments_.applied(!result.changed.empty());
    if (!result.changed.empty()) {
      const auto published = store_->publish(std::move(next));
      result.applied = true;
      logger_.log(log_level::info, "config reloaded", kv("changed", detail::join(result.changed)));
      notify(result, published);
    } else if (!result.needs_restart.empty()) {
      notify(result, before);
    }
    for (const auto& pending : result.needs_restart) {
      logger_.log(log_level::warn, "config change needs a restart", kv("path", pending.path),
                  kv("running", pending.running), kv("requested", pending.requested));
    }
    return result;
  }

  /// Registers `callback` for every reload attempt; returns an id for unsubscribe().
  std::size_t subscribe(subscriber callback) {
    const std::lock_guard lock(subscribers_mutex_);
    subscribers_.emplace(next_subscriber_, std::move(callback));
    return next_subscriber_++;
  }

  /// Removes a subscriber; after this returns it is not called again.
  void unsubscribe(std::size_t id) {
    const std::lock_guard lock(subscribers_mutex_);
    subscribers_.erase(id);
  }

 private:
  basic_config(std::in_place_t /*tag*/, policies_type policies, Sources... sources)
      : logger_(std::move(policies.logger)),
        sources_(std::move(sources)...),
        store_(initial_load()),
        instruments_(std::move(policies.metrics), std::move(policies.clock)) {
    instruments_.loaded();
  }

  std::shared_ptr<snapshot_store<Schema>> initial_load() {
    auto loaded = std::apply([](const auto&... s) { return load_config<Schema>(s...); }, sources_);
    if (!loaded.ok()) throw config_error(std::move(loaded.issues));
    for (const auto& issue : loaded.issues) {
      logger_.log(log_level::warn, "config warning", kv("path", issue.path), kv("problem", issue.message));
    }
    return std::make_shared<snapshot_store<Schema>>(
        snapshot_data<Schema>{std::move(loaded.value), std::move(loaded.origins), 0});
  }

  /// Lists changed leaves; puts restart-only leaves back to their running value and reports them.
  static void diff(const Schema& old_value, const std::vector<value_origin>& old_origins, snapshot_data<Schema>& next,
                   reload_result& result) {
    const auto& table = detail::schema_table<Schema>;
    for (std::size_t i = 0; i < table.leaves.size(); ++i) {
      const detail::leaf_entry& leaf = table.leaves[i];
      const void* old_member = leaf.address(&old_value);
      void* member = leaf.address(&next.value);
      if (leaf.ops->equal(old_member, member)) continue;
      const leaf_info& info = schema_leaves<Schema>[i];
      if (info.restart_only) {
        result.needs_restart.push_back(
            {std::string(info.path.view()), leaf.ops->text(old_member), leaf.ops->text(member)});
        leaf.ops->copy(member, old_member);
        next.origins[i] = old_origins[i];
      } else {
        result.changed.emplace_back(info.path.view());
      }
    }
  }

  void notify(const reload_result& result, const snapshot<Schema>& current) {
    const std::lock_guard lock(subscribers_mutex_);
    const reload_event<Schema> event{result, current};
    for (const auto& [id, callback] : subscribers_) callback(event);
  }

  [[no_unique_address]] logger_type logger_;
  std::tuple<Sources...> sources_;
  std::shared_ptr<snapshot_store<Schema>> store_;
  std::mutex reload_mutex_;
  std::mutex subscribers_mutex_;
  std::map<std::size_t, subscriber> subscribers_;
  std::size_t next_subscriber_ = 0;
  [[no_unique_address]] detail::config_instruments<metrics_type, clock_type> instruments_;
};

/// A config that logs nothing; use basic_config to give it a Logger.
template <class Schema, class... Sources>
using config = basic_config<Schema, null_logger, Sources...>;

}  // namespace arbiter::inline v1
