#pragma once

/// \file
/// A process-wide config for apps that want one (the seed's `getConfig()`), resettable in tests. Libraries
/// should take a snapshot or a section as a parameter instead; this is for the application's edge.

#include <memory>
#include <mutex>
#include <utility>

#include <arbiter/config/config.hpp>
#include <arbiter/config/env_source.hpp>
#include <arbiter/config/snapshot.hpp>

namespace arbiter::inline v1 {

/// The global config of one schema. Install a store (usually `cfg.store()` of the app's config, so reloads
/// show through); if none is installed, the first `current()` loads the defaults and the ARBITER_* environment.
template <class Schema>
class global_config {
 public:
  /// Makes `store` the global config.
  static void install(std::shared_ptr<snapshot_store<Schema>> store) {
    const std::lock_guard lock(state().mutex);
    state().store = std::move(store);
  }

  /// Returns the global config's current snapshot; throws config_error if the environment is invalid.
  [[nodiscard]] static snapshot<Schema> current() { return store()->current(); }

  /// Returns the global store, loading the default one first if none is installed.
  [[nodiscard]] static std::shared_ptr<snapshot_store<Schema>> store() {
    const std::lock_guard lock(state().mutex);
    if (!state().store) {
      const config<Schema, env_source<>> loaded{env_source<>{}};
      state().store = loaded.store();
    }
    return state().store;
  }

  /// True when a store is installed (or was loaded by a first use).
  [[nodiscard]] static bool installed() {
    const std::lock_guard lock(state().mutex);
    return static_cast<bool>(state().store);
  }

  /// Forgets the global store (tests); snapshots already taken stay valid.
  static void reset() {
    const std::lock_guard lock(state().mutex);
    state().store.reset();
  }

 private:
  struct holder {
    std::mutex mutex;
    std::shared_ptr<snapshot_store<Schema>> store;
  };
  static holder& state() {
    static holder h;
    return h;
  }
};

}  // namespace arbiter::inline v1
