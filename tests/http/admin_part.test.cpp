// The admin server as an optional part of the orchestrator: it reads the `admin` config section, shows the
// service's own health, metrics, config and breakers, answers /readyz with 503 while the shutdown drains, and
// stops at its own hook after the drain.
#include <arbiter/config/override_source.hpp>
#include <arbiter/http/admin_server.hpp>
#include <arbiter/logging/recording_logger.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/orchestrator.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using test_http::fetch;

using service = arbiter::orchestrator<
    arbiter::breaker<"inventory", arbiter::counting_stats>, arbiter::with_logger<arbiter::recording_logger>,
    arbiter::with_metrics<arbiter::metrics_registry>, arbiter::with_sources<arbiter::override_source>,
    arbiter::with_exit<arbiter::recording_exit>, arbiter::with_parts<arbiter::admin_server_part>>;

const arbiter::orchestrator_options quiet{.handle_signals = false};

/// Polls `path` until it answers `status` (the background health schedule runs on its own time).
std::optional<test_http::response> await_status(std::uint16_t port, const char* path, int status,
                                                std::chrono::milliseconds within = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  std::optional<test_http::response> r;
  while (std::chrono::steady_clock::now() < deadline) {
    r = fetch(port, "GET", path);
    if (r && r->status == status) return r;
    std::this_thread::sleep_for(20ms);
  }
  return r;
}

TEST(admin_part, serves_the_service_from_the_admin_section) {
  arbiter::recording_logger logger;
  service svc(arbiter::instances(logger), quiet,
              arbiter::override_source({"admin.port=0", "health.check_interval=1s", "health.check_timeout=1s",
                                        "observability.service_name=orders", "shutdown.timeout=2s"}));
  const std::uint16_t port = svc.part<arbiter::admin_server_part>().port();
  ASSERT_NE(port, 0);
  bool logged = false;
  for (const auto& record : logger.records()) {
    if (record.message == "admin server listening") {
      logged = record.field("port") == std::to_string(port) && record.field("host") == "127.0.0.1";
    }
  }
  EXPECT_TRUE(logged) << "the bound port is logged";

  svc.start();
  const auto started = await_status(port, "/startupz", 200);
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 200);
  const auto ready = await_status(port, "/readyz", 200);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  (void)svc.breaker<"inventory">().execute([] { return 1; });
  // The breaker's check runs on the health schedule's own threads: wait for its first result (every check
  // starts UNHEALTHY until it has run once).
  json doc;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    const auto health = fetch(port, "GET", "/health");
    ASSERT_TRUE(health);
    doc = json::parse(health->body);
    if (doc["checks"]["inventory:circuit_breaker"][0]["status"] == "pass") break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(doc["serviceId"], "orders");
  EXPECT_EQ(doc["checks"]["inventory:circuit_breaker"][0]["status"], "pass");
  EXPECT_EQ(doc["checks"]["service:startup"][0]["status"], "pass");

  const auto breakers = fetch(port, "GET", "/breakers");
  ASSERT_TRUE(breakers);
  const json b = json::parse(breakers->body);
  ASSERT_EQ(b["breakers"].size(), 1U);
  EXPECT_EQ(b["breakers"][0]["name"], "inventory");
  EXPECT_EQ(b["breakers"][0]["counts"]["successes"], 1);

  const auto config = fetch(port, "GET", "/config");
  ASSERT_TRUE(config);
  const json c = json::parse(config->body);
  EXPECT_EQ(c["admin.port"]["value"], 0);
  EXPECT_EQ(c["admin.port"]["source"], "override");
  EXPECT_EQ(c["admin.token"]["value"], "***");

  const auto metrics = fetch(port, "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("arbiter_breaker_calls_total{breaker=\"inventory\""), std::string::npos);

  const auto page = fetch(port, "GET", "/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("data-name=\"inventory\" data-state=\"closed\""), std::string::npos);
  EXPECT_NE(page->body.find("service: running"), std::string::npos);

  // Write actions are off by default.
  const auto reload = fetch(port, "POST", "/config/reload", "Content-Length: 0\r\n");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 404);

  svc.shutdown().trigger_shutdown("test");
  EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
}

TEST(admin_part, readyz_says_503_while_work_drains_then_the_server_stops_at_its_hook) {
  arbiter::recording_logger logger;
  service svc(arbiter::instances(logger), quiet,
              arbiter::override_source(
                  {"admin.port=0", "health.check_interval=1s", "health.check_timeout=1s", "shutdown.timeout=6s"}));
  const std::uint16_t port = svc.part<arbiter::admin_server_part>().port();
  svc.start();
  ASSERT_TRUE(await_status(port, "/readyz", 200));

  std::atomic<bool> release{false};
  std::thread worker([&] {
    const auto pass = svc.gate().enter();  // an order in flight: the drain waits for it
    while (!release.load()) std::this_thread::sleep_for(5ms);
  });
  while (svc.gate().in_flight() == 0) std::this_thread::sleep_for(1ms);
  svc.shutdown().trigger_shutdown("test");

  const auto draining = await_status(port, "/readyz", 503);
  ASSERT_TRUE(draining) << "the server stopped answering during the drain";
  EXPECT_EQ(draining->status, 503);
  EXPECT_EQ(draining->body.substr(0, 23), "fail (refusing traffic)");
  const auto live = fetch(port, "GET", "/livez");  // liveness holds: no restart while draining
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  const auto page = fetch(port, "GET", "/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("shutting down: 1 in flight, readiness off"), std::string::npos);
  EXPECT_TRUE(svc.shutdown().is_shutting_down());

  release.store(true);
  worker.join();
  EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
  EXPECT_THROW(test_http::connection after(port), std::runtime_error);  // closed at its hook

  std::vector<std::string> steps;
  for (const auto& record : logger.records()) {
    if (record.message == "shutdown step finished") steps.push_back(record.field("step").value_or("?"));
  }
  const auto at = [&](const std::string& step) { return std::find(steps.begin(), steps.end(), step) - steps.begin(); };
  ASSERT_LT(at("admin server"), static_cast<std::ptrdiff_t>(steps.size())) << "no admin server hook ran";
  EXPECT_LT(at("health"), at("admin server"));
  EXPECT_LT(at("admin server"), at("health monitor"));
}

TEST(admin_part, write_actions_need_a_token_in_the_config_and_then_reload_with_it) {
  try {
    service bad(quiet, arbiter::override_source({"admin.port=0", "admin.enable_write_actions=true"}));
    ADD_FAILURE() << "write actions without a token were accepted";
  } catch (const arbiter::config_error& error) {
    EXPECT_NE(std::string(error.what()).find("admin.token"), std::string::npos) << error.what();
  }
  service svc(quiet, arbiter::override_source({"admin.port=0", "admin.enable_write_actions=true",
                                               "admin.token=let-me-in", "shutdown.timeout=2s"}));
  svc.start();
  const std::uint16_t port = svc.part<arbiter::admin_server_part>().port();
  const auto denied = fetch(port, "POST", "/config/reload", "Authorization: Bearer nope\r\nContent-Length: 0\r\n");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  const auto reload = fetch(port, "POST", "/config/reload", "Authorization: Bearer let-me-in\r\nContent-Length: 0\r\n");
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 200);
  const json doc = json::parse(reload->body);
  EXPECT_EQ(doc["ok"], true);
  EXPECT_EQ(doc["applied"], false);  // nothing changed
  const auto open =
      fetch(port, "POST", "/breakers/inventory/force-open", "Authorization: Bearer let-me-in\r\nContent-Length: 0\r\n");
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200);
  EXPECT_EQ(svc.breaker<"inventory">().state(), arbiter::breaker_state::forced_open);
  svc.shutdown().trigger_shutdown("test");
  EXPECT_EQ(svc.shutdown().wait().exit_code, 0);
}

}  // namespace
