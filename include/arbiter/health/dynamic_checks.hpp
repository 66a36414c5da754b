#pragma once

/// \file
/// The one runtime escape hatch: a check that holds callables registered at run time (plugins), the seed's
/// `registerCheck(name, fn)`. It is a single check of the monitor with its own name, traits and timeout; each
/// registered callable is one instance of it in the report (one element of its health+json array).
/// This is the only place the monitor calls through a type-erased function.

#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/detail/functional.hpp>
#include <arbiter/health/check.hpp>

namespace arbiter::inline v1 {

/// Runtime-registered checks under one compile-time name. A handle: copies share the registry, so keep one copy to
/// register plugins and give another to the monitor. Registration is thread-safe and may happen while checks run.
template <check_name Name = "plugins", check_options Options = check_options{}>
class dynamic_checks : public check_traits_from<Name, Options> {
 public:
  /// The type-erased form of a registered check.
  using function_type = std::function<check_result(std::stop_token)>;

  dynamic_checks() : state_(std::make_shared<state>()) {}

  /// Registers `fn` under `check_name`; `fn` returns check_result, health_status or bool and may take a
  /// std::stop_token. Throws std::invalid_argument for a name that breaks the key grammar or is taken; the
  /// registry is unchanged then.
  template <class F>
  void register_check(std::string check_name, F&& fn) {
    using G = std::decay_t<F>;
    static_assert(std::is_invocable_v<G&, std::stop_token> || std::is_invocable_v<G&>,
                  "====> arbiter: dynamic_checks::register_check(name, fn) needs fn callable as fn() or "
                  "fn(std::stop_token), returning arbiter::check_result, arbiter::health_status or bool.");
    if (const auto problem = detail::check_name_problem(check_name); !problem.empty()) {
      throw std::invalid_argument("health check name '" + check_name + "' from register_check " + std::string(problem));
    }
    auto entry = std::make_shared<const registered>(
        registered{check_name, function_type([f = G(std::forward<F>(fn))](std::stop_token stop) mutable {
                     if constexpr (std::is_invocable_v<G&, std::stop_token>) {
                       return detail::to_check_result(detail::invoke(f, std::move(stop)));
                     } else {
                       return detail::to_check_result(detail::invoke(f));
                     }
                   })});
    const std::lock_guard lock(state_->mutex);
    for (const auto& existing : state_->entries) {
      if (existing->name == check_name) {
        throw std::invalid_argument("health check name '" + check_name +
                                    "' from register_check is already registered in " + std::string(Name.view()));
      }
    }
    state_->entries.push_back(std::move(entry));
  }

  /// Removes the check named `check_name`; returns false if there was none.
  bool unregister_check(std::string_view check_name) {
    const std::lock_guard lock(state_->mutex);
    const auto it = std::find_if(state_->entries.begin(), state_->entries.end(),
                                 [&](const auto& entry) { return entry->name == check_name; });
    if (it == state_->entries.end()) return false;
    state_->entries.erase(it);
    return true;
  }

  /// Returns how many checks are registered.
  [[nodiscard]] std::size_t size() const {
    const std::lock_guard lock(state_->mutex);
    return state_->entries.size();
  }

  /// Runs every registered check in registration order (a snapshot of the registry); the result is the worst of
  /// them, each one an instance. An exception from one check makes that instance UNHEALTHY and the others still run.
  check_result operator()(std::stop_token stop) {
    std::vector<std::shared_ptr<const registered>> snapshot;
    {
      const std::lock_guard lock(state_->mutex);
      snapshot = state_->entries;
    }
    check_result result;
    std::size_t failed = 0;
    std::string failures;
    for (const auto& entry : snapshot) {
      if (stop.stop_requested()) {
        result.instances.push_back({entry->name, health_status::unhealthy, "not run: stop requested"});
        result.status = health_status::unhealthy;
        ++failed;
        continue;
      }
      check_result one = run_one(*entry, stop);
      result.status = worst(result.status, one.status);
      if (one.status != health_status::healthy) {
        ++failed;
        if (!failures.empty()) failures += "; ";
        failures += entry->name + ": " + (one.message.empty() ? std::string(to_string(one.status)) : one.message);
      }
      result.instances.push_back({entry->name, one.status, std::move(one.message)});
    }
    if (failed == 0) {
      result.message = std::to_string(snapshot.size()) + " registered checks healthy";
    } else {
      result.message =
          std::to_string(failed) + " of " + std::to_string(snapshot.size()) + " registered checks failing: " + failures;
    }
    return result;
  }

 private:
  struct registered {
    std::string name;
    // Called in place: one monitor never runs its checks concurrently with themselves; a handle shared by several
    // monitors calls its callables from several threads, so those must then be thread-safe.
    mutable function_type fn;
  };
  struct state {
    mutable std::mutex mutex;
    std::vector<std::shared_ptr<const registered>> entries;
  };

  static check_result run_one(const registered& entry, std::stop_token stop) {
    return detail::invoke_check(entry.fn, std::move(stop));
  }

  std::shared_ptr<state> state_;
};

}  // namespace arbiter::inline v1
