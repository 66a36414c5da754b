// The admin server on its own, over real sockets: every endpoint and status code, health+json field by field,
// hostile clients (malformed, oversized, slowloris, too many connections), keep-alive and pipelining, the write
// actions and their tokens, the stop, and the real tools (curl, promtool). Time bounds are generous: the machine
// is shared and the sanitizers are slow.
#include <arbiter/config/config.hpp>
#include <arbiter/config/orchestrator_config.hpp>
#include <arbiter/config/override_source.hpp>
#include <arbiter/health/health_monitor.hpp>
#include <arbiter/http/admin_server.hpp>
#include <arbiter/http/client.hpp>
#include <arbiter/metrics/registry.hpp>
#include <arbiter/resilience/circuit_breaker.hpp>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using test_http::connection;
using test_http::fetch;

/// A readiness and liveness check whose status a test sets: 0 pass, 1 warn, 2 fail.
struct db_check {
  static constexpr std::string_view name = "db:ping";
  static constexpr arbiter::probe_set probes = arbiter::probe::liveness | arbiter::probe::readiness;
  static constexpr bool critical = true;
  std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> sleep_ms = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> runs = std::make_shared<std::atomic<int>>(0);  // started so far
  arbiter::check_result operator()() const {
    runs->fetch_add(1);
    if (const int ms = sleep_ms->load()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    switch (state->load()) {
      case 0:
        return arbiter::check_result::healthy().observe(3, "connections");
      case 1:
        return arbiter::check_result::degraded("slow \"replica\"");
      default:
        return arbiter::check_result::unhealthy("connection refused\r\nX-Injected: 1");
    }
  }
};

struct boot_check {
  static constexpr std::string_view name = "service:startup";
  static constexpr arbiter::probe_set probes = arbiter::probe_set(arbiter::probe::startup);
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(true);
  arbiter::check_result operator()() const {
    return done->load() ? arbiter::check_result::healthy() : arbiter::check_result::unhealthy("starting");
  }
};

using monitor_type = arbiter::health_monitor<db_check, boot_check>;
using breaker_type = arbiter::circuit_breaker<arbiter::counting_stats, arbiter::metrics_registry>;
using config_type = arbiter::config<arbiter::orchestrator_config, arbiter::override_source>;

/// A health monitor, two breakers, a metrics registry and a config, shown by one admin server.
struct service {
  explicit service(arbiter::admin_options options = {}, bool with_metrics = true)
      : monitor(arbiter::health_config{}, db, boot),
        inventory("inventory", arbiter::breaker_options{.failure_threshold = 2}, metrics),
        odd("<b>odd&name</b>", arbiter::breaker_options{}, metrics),
        config(arbiter::override_source({"admin.token=s3cret-token", "admin.port=0", "server.port=9090"})) {
    arbiter::admin_sources sources;
    sources.health = arbiter::admin_health_of(monitor);
    if (with_metrics) sources.metrics = arbiter::admin_metrics_of(metrics);
    sources.config = arbiter::admin_config_of(config);
    sources.config.reload = [this] {
      const auto r = config.reload();
      return std::pair<bool, std::string>(r.ok(), arbiter::detail::reload_json(r, {}));
    };
    sources.breakers.push_back(arbiter::admin_breaker_of("inventory", inventory));
    sources.breakers.push_back(arbiter::admin_breaker_of(odd.name(), odd));
    sources.shutdown_state = [] { return std::string("running"); };
    sources.service_id = "orders";
    sources.version = "1.2";
    server = std::make_unique<arbiter::admin_server>(std::move(options), std::move(sources));
    server->start();
  }

  [[nodiscard]] std::uint16_t port() const { return server->port(); }

  db_check db;
  boot_check boot;
  monitor_type monitor;
  arbiter::metrics_registry metrics;
  breaker_type inventory;
  breaker_type odd;
  config_type config;
  std::unique_ptr<arbiter::admin_server> server;
};

/// The server still answers a plain probe.
void expect_still_serving(std::uint16_t port) {
  const auto r = fetch(port, "GET", "/livez");
  ASSERT_TRUE(r) << "the server stopped answering";
  EXPECT_EQ(r->status, 200);
}

std::string get_request(std::string_view target, std::string_view headers = {}) {
  std::string out = "GET ";
  out.append(target).append(" HTTP/1.1\r\nHost: localhost\r\n").append(headers).append("\r\n");
  return out;
}

// ---- probes ---------------------------------------------------------------------------------------------------

TEST(admin_server, probes_answer_plain_200_then_503_when_a_check_fails) {
  service svc;
  for (const char* path : {"/livez", "/readyz", "/startupz", "/health/live", "/health/ready", "/health/started"}) {
    const auto r = fetch(svc.port(), "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, "pass\n") << path;
    EXPECT_EQ(r->header("content-type"), "text/plain; charset=utf-8") << path;
    EXPECT_EQ(r->header("cache-control"), "no-store") << path;
  }
  svc.db.state->store(2);
  for (const char* path : {"/livez", "/readyz", "/health/live", "/health/ready"}) {
    const auto r = fetch(svc.port(), "GET", path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 503) << path;
    // The check's CR LF stays in the body, as spaces: it never becomes a header.
    EXPECT_EQ(r->body, "fail\ndb:ping: fail: connection refused  X-Injected: 1\n") << path;
    EXPECT_EQ(r->header("x-injected"), "") << path;
  }
  const auto started = fetch(svc.port(), "GET", "/startupz");
  ASSERT_TRUE(started);
  EXPECT_EQ(started->status, 200);  // the startup probe holds only the startup check
  svc.db.state->store(1);
  const auto warn = fetch(svc.port(), "GET", "/readyz");
  ASSERT_TRUE(warn);
  EXPECT_EQ(warn->status, 200);
  EXPECT_EQ(warn->body, "warn\ndb:ping: warn: slow \"replica\"\n");
}

TEST(admin_server, readiness_switch_off_is_503_refusing_traffic) {
  service svc;
  svc.monitor.set_accepting_traffic(false);
  const auto r = fetch(svc.port(), "GET", "/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "fail (refusing traffic)\n");
  const auto live = fetch(svc.port(), "GET", "/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

TEST(admin_server, startup_probe_fails_until_started) {
  service svc;
  svc.boot.done->store(false);
  const auto before = fetch(svc.port(), "GET", "/startupz");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 503);
  EXPECT_EQ(before->body, "fail\nservice:startup: fail: starting\n");
  svc.boot.done->store(true);
  const auto after = fetch(svc.port(), "GET", "/health/started");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST(admin_server, health_json_when_asked_by_accept_or_verbose) {
  service svc;
  svc.db.state->store(1);
  const auto by_accept = fetch(svc.port(), "GET", "/readyz", "Accept: application/health+json\r\n");
  const auto by_query = fetch(svc.port(), "GET", "/health/ready?verbose");
  for (const auto& r : {by_accept, by_query}) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("content-type"), "application/health+json");
    const json doc = json::parse(r->body);
    EXPECT_EQ(doc["status"], "warn");
    EXPECT_EQ(doc["serviceId"], "orders");
    EXPECT_EQ(doc["version"], "1.2");
    EXPECT_EQ(doc["output"], "db:ping warn: slow \"replica\"");
    ASSERT_TRUE(doc["checks"].contains("db:ping"));
    EXPECT_FALSE(doc["checks"].contains("service:startup"));  // a readiness report holds readiness checks
    const json& db = doc["checks"]["db:ping"][0];
    EXPECT_EQ(db["componentType"], "component");
    EXPECT_EQ(db["status"], "warn");
    EXPECT_EQ(db["output"], "slow \"replica\"");
    EXPECT_EQ(db["observedUnit"], "ms");
    EXPECT_TRUE(db["observedValue"].is_number());
    EXPECT_TRUE(db["time"].is_string());
    EXPECT_TRUE(db["durationMs"].is_number());
  }
  svc.db.state->store(2);
  const auto failing = fetch(svc.port(), "GET", "/livez?verbose=1");
  ASSERT_TRUE(failing);
  EXPECT_EQ(failing->status, 503);
  EXPECT_EQ(json::parse(failing->body)["status"], "fail");
  // q=0 is "not acceptable": plain again.
  const auto refused = fetch(svc.port(), "GET", "/livez", "Accept: application/health+json;q=0\r\n");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->header("content-type"), "text/plain; charset=utf-8");
}

TEST(admin_server, health_is_the_full_report) {
  service svc;
  const auto r = fetch(svc.port(), "GET", "/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/health+json");
  const json doc = json::parse(r->body);
  EXPECT_EQ(doc["status"], "pass");
  EXPECT_EQ(doc["checks"].size(), 2U);
  const json& db = doc["checks"]["db:ping"][0];
  EXPECT_EQ(db["status"], "pass");
  EXPECT_EQ(db["observedValue"], 3);
  EXPECT_EQ(db["observedUnit"], "connections");
  EXPECT_FALSE(db.contains("output"));
  EXPECT_EQ(doc["checks"]["service:startup"][0]["status"], "pass");
}

TEST(admin_server, head_has_the_headers_of_get_and_no_body) {
  service svc;
  for (const char* path : {"/readyz", "/health", "/metrics", "/config", "/breakers", "/"}) {
    connection c(svc.port());
    const auto get = c.request(get_request(path));
    const auto head = c.request(std::string("HEAD ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(get && head) << path;
    EXPECT_EQ(head->status, get->status) << path;
    EXPECT_EQ(head->header("content-type"), get->header("content-type")) << path;
    EXPECT_TRUE(head->body.empty()) << path;
    // The length of what GET would send: exact where the body cannot change between the two requests (the others
    // carry durations, times and counts that may take another digit), a number everywhere.
    const std::string path_view(path);
    if (path_view == "/readyz" || path_view == "/config") {
      EXPECT_EQ(head->header("content-length"), get->header("content-length")) << path;
    }
    EXPECT_FALSE(head->header("content-length").empty()) << path;
    EXPECT_EQ(head->header("content-length").find_first_not_of("0123456789"), std::string::npos) << path;
    // The connection is still in step: nothing of a body followed the HEAD answer.
    const auto again = c.request(get_request("/livez"));
    ASSERT_TRUE(again) << path;
    EXPECT_EQ(again->body, "pass\n") << path;
  }
}

// ---- metrics, config, breakers, the page ----------------------------------------------------------------------

TEST(admin_server, metrics_are_negotiated_text_or_openmetrics) {
  service svc;
  (void)svc.inventory.execute([] { return 1; });
  const auto text = fetch(svc.port(), "GET", "/metrics");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 200);
  EXPECT_EQ(text->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(text->body.find("arbiter_breaker_calls_total{"), std::string::npos) << text->body;
  EXPECT_EQ(text->body.find("# EOF"), std::string::npos);
  const auto om = fetch(svc.port(), "GET", "/metrics",
                        "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n");
  ASSERT_TRUE(om);
  EXPECT_EQ(om->header("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_TRUE(om->body.ends_with("# EOF\n"));
}

TEST(admin_server, metrics_without_a_registry_is_404_saying_so) {
  service svc({}, false);
  const auto r = fetch(svc.port(), "GET", "/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("no metrics registry"), std::string::npos);
}

TEST(admin_server, config_is_json_with_origins_and_secrets_redacted) {
  service svc;
  const auto r = fetch(svc.port(), "GET", "/config");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->body.find("s3cret-token"), std::string::npos);
  const json doc = json::parse(r->body);
  EXPECT_EQ(doc["admin.token"]["value"], "***");
  EXPECT_EQ(doc["admin.token"]["source"], "override");
  EXPECT_EQ(doc["server.port"]["value"], 9090);
  EXPECT_EQ(doc["server.port"]["source"], "override");
  EXPECT_EQ(doc["admin.host"]["value"], "127.0.0.1");
  EXPECT_EQ(doc["admin.host"]["source"], "default");
  EXPECT_EQ(doc["admin.enable_write_actions"]["value"], false);
  EXPECT_EQ(doc["shutdown.timeout"]["value"], "30s");
}

TEST(admin_server, breakers_show_state_reason_counts_and_transitions) {
  service svc;
  (void)svc.inventory.execute([] { return 1; });
  for (int i = 0; i < 2; ++i) {
    try {
      (void)svc.inventory.execute([]() -> int { throw std::runtime_error("down"); });
    } catch (const std::runtime_error&) {
    }
  }
  (void)svc.inventory.execute([] { return 1; }, [](const arbiter::rejection&) { return 0; });  // rejected
  svc.server->sample();
  const auto r = fetch(svc.port(), "GET", "/breakers");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  const json doc = json::parse(r->body);
  ASSERT_EQ(doc["breakers"].size(), 2U);
  const json& inv = doc["breakers"][0];
  EXPECT_EQ(inv["name"], "inventory");
  EXPECT_EQ(inv["state"], "open");
  EXPECT_EQ(inv["reason"], "failure_threshold");
  EXPECT_EQ(inv["counts"]["successes"], 1);
  EXPECT_EQ(inv["counts"]["failures"], 2);
  EXPECT_EQ(inv["counts"]["rejections"], 1);
  EXPECT_EQ(inv["counts"]["transitions"], 1);
  EXPECT_EQ(inv["counts"]["counted"], true);
  ASSERT_EQ(inv["transitions"].size(), 1U);
  EXPECT_EQ(inv["transitions"][0]["from"], "closed");
  EXPECT_EQ(inv["transitions"][0]["to"], "open");
  EXPECT_EQ(inv["transitions"][0]["reason"], "failure_threshold");
  EXPECT_EQ(inv["transitions"][0]["missed"], 0);
  ASSERT_EQ(inv["history"]["calls"].size(), 1U);
  EXPECT_EQ(inv["history"]["calls"][0], 3);  // calls let through; the rejection is counted apart
  EXPECT_EQ(inv["history"]["rejections"][0], 1);
  EXPECT_EQ(doc["breakers"][1]["name"], "<b>odd&name</b>");
  EXPECT_EQ(doc["breakers"][1]["state"], "closed");
  EXPECT_TRUE(doc["breakers"][1]["reason"].is_null());
}

TEST(admin_server, status_page_is_self_contained_html_with_every_breaker) {
  service svc;
  svc.inventory.force_open();
  svc.server->sample();
  const auto r = fetch(svc.port(), "GET", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/html; charset=utf-8");
  const std::string& page = r->body;
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_NE(page.find("data-name=\"inventory\" data-state=\"forced_open\""), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;odd&amp;name&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<b>odd"), std::string::npos);
  EXPECT_NE(page.find("closed &rarr; forced_open"), std::string::npos);
  EXPECT_NE(page.find("<td>db:ping</td><td class=\"pass\">pass</td>"), std::string::npos);
  EXPECT_NE(page.find("<svg class=\"spark\""), std::string::npos);
  EXPECT_NE(page.find("admin.token = ***"), std::string::npos);
  EXPECT_EQ(page.find("s3cret-token"), std::string::npos);
  EXPECT_NE(page.find("service: running"), std::string::npos);
  // No external assets: no scripts, styles or images fetched from anywhere.
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("href=\"http"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
}

// ---- bad requests ----------------------------------------------------------------------------------------------

TEST(admin_server, unknown_path_is_404_and_wrong_method_405_with_allow) {
  service svc;
  const auto missing = fetch(svc.port(), "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  for (const char* path : {"/readyz", "/metrics", "/health", "/"}) {
    const auto post = fetch(svc.port(), "POST", path, "Content-Length: 0\r\n");
    ASSERT_TRUE(post) << path;
    EXPECT_EQ(post->status, 405) << path;
    EXPECT_EQ(post->header("allow"), "GET, HEAD") << path;
  }
  const auto odd = fetch(svc.port(), "BREW", "/livez");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->status, 405);
  expect_still_serving(svc.port());
}

TEST(admin_server, malformed_requests_get_400_and_the_server_goes_on) {
  service svc;
  for (const std::string& bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET /livez HTTP/9.9\r\n\r\n"),
                                 std::string("GET /livez HTTP/1.1\r\nno colon here\r\n\r\n"),
                                 std::string("GET /livez HTTP/1.1\r\nContent-Length: nope\r\n\r\n"),
                                 std::string("GET\x01 /livez HTTP/1.1\r\n\r\n")}) {
    connection c(svc.port());
    const auto r = c.request(bad);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(r->header("connection"), "close") << bad;
    EXPECT_TRUE(c.closed_within(5s)) << bad;
    expect_still_serving(svc.port());
  }
}

TEST(admin_server, headers_over_8_kib_get_431) {
  service svc;
  connection c(svc.port());
  const auto r = c.request(get_request("/livez", "X-Big: " + std::string(9000, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.closed_within(5s));
  // Just under the limit is fine.
  const auto ok = fetch(svc.port(), "GET", "/livez", "X-Big: " + std::string(7000, 'a') + "\r\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(admin_server, many_small_headers_adding_up_to_over_8_kib_get_431) {
  service svc;
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "X-A: b\r\n";  // 16 000 bytes in short lines
  connection c(svc.port());
  const auto r = c.request(get_request("/livez", many));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.closed_within(5s));
  expect_still_serving(svc.port());
  std::string fewer;
  for (int i = 0; i < 900; ++i) fewer += "X-A: b\r\n";  // 7 200 bytes: under the limit
  const auto ok = fetch(svc.port(), "GET", "/livez", fewer);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(admin_server, a_body_over_the_limit_gets_413) {
  service svc(arbiter::admin_options{.body_limit = 1024});
  connection c(svc.port());
  const auto r =
      c.request("POST /config/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + std::string(4096, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  expect_still_serving(svc.port());
}

// ---- connections -----------------------------------------------------------------------------------------------

TEST(admin_server, keep_alive_and_pipelined_requests_are_answered_in_order) {
  service svc;
  connection c(svc.port());
  for (int i = 0; i < 20; ++i) {
    const auto r = c.request(get_request(i % 2 == 0 ? "/livez" : "/nope"));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, i % 2 == 0 ? 200 : 404) << i;
    EXPECT_EQ(r->header("connection"), "") << i;  // HTTP/1.1 keeps the connection open by default
  }
  svc.db.state->store(2);
  ASSERT_TRUE(c.send(get_request("/livez") + get_request("/health") + "HEAD /readyz HTTP/1.1\r\nHost: x\r\n\r\n" +
                     get_request("/startupz")));
  const auto a = c.read();
  const auto b = c.read();
  const auto h = c.read(10s, true);
  const auto d = c.read();
  ASSERT_TRUE(a && b && h && d);
  EXPECT_EQ(a->status, 503);
  EXPECT_EQ(a->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(json::parse(b->body)["status"], "fail");
  EXPECT_EQ(h->status, 503);
  EXPECT_EQ(d->status, 200);
  EXPECT_EQ(d->body, "pass\n");
  // HTTP/1.0 closes unless asked to keep alive.
  connection old(svc.port());
  const auto r = old.request("GET /startupz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(old.closed_within(5s));
}

TEST(admin_server, a_slowloris_client_is_dropped_while_100_probes_complete_on_time) {
  service svc(arbiter::admin_options{.read_timeout = 2s});
  connection slow(svc.port());
  std::atomic<bool> closed{false};
  std::thread dribbler([&] {
    const std::string request = get_request("/livez", "X-Slow: " + std::string(64, 'z') + "\r\n");
    for (const char ch : request) {
      if (!slow.send(std::string_view(&ch, 1))) break;
      std::this_thread::sleep_for(1s);
      if (closed.load()) break;
    }
  });
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = fetch(svc.port(), "GET", "/readyz");
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "probe " << i << " waited for the slow client";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 20s);
  // The slow client never finishes its headers: it is closed at the read timeout, not served.
  EXPECT_TRUE(slow.closed_within(10s));
  closed.store(true);
  dribbler.join();
  // Beast's stream closes the socket when its timer fires, before the read handler counts the timeout: the client
  // can see the close first, so give the count a moment.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (svc.server->stats().timed_out == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  EXPECT_GE(svc.server->stats().timed_out, 1U);
}

TEST(admin_server, connections_over_the_cap_get_503_and_are_closed) {
  service svc(arbiter::admin_options{.max_connections = 4});
  std::vector<std::unique_ptr<connection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<connection>(svc.port()));
    const auto r = held.back()->request(get_request("/livez"));  // accepted and served: it counts
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
  }
  connection over(svc.port());
  const auto refused = over.request(get_request("/livez"));
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("connection"), "close");
  EXPECT_TRUE(over.closed_within(5s));
  EXPECT_EQ(svc.server->stats().rejected_connections, 1U);
  // The held connections still work, and closing one makes room.
  const auto still = held[0]->request(get_request("/readyz"));
  ASSERT_TRUE(still);
  EXPECT_EQ(still->status, 200);
  held.pop_back();
  std::optional<test_http::response> later;
  for (int attempt = 0; attempt < 200 && !(later && later->status == 200); ++attempt) {
    std::this_thread::sleep_for(50ms);  // the server notices the close asynchronously
    later = fetch(svc.port(), "GET", "/livez");
  }
  ASSERT_TRUE(later);
  EXPECT_EQ(later->status, 200);
}

TEST(admin_server, several_threads_serve_many_clients_at_once) {
  service svc(arbiter::admin_options{.threads = 3});
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      connection c(svc.port());
      for (int i = 0; i < 50; ++i) {
        const auto r = c.request(get_request(i % 3 == 0 ? "/breakers" : (t % 2 == 0 ? "/readyz" : "/health")));
        if (r && r->status == 200) ++ok;
      }
    });
  }
  std::thread flipper([&] {
    for (int i = 0; i < 50; ++i) {
      svc.server->sample();
      (void)svc.inventory.execute([] { return 1; });
    }
  });
  for (auto& c : clients) c.join();
  flipper.join();
  EXPECT_EQ(ok.load(), 200);
  // An answer is counted once its write completes, which can be just after the client has read it.
  for (int i = 0; i < 500 && svc.server->stats().requests < 200; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_GE(svc.server->stats().requests, 200U);
}

TEST(admin_server, stop_finishes_the_request_in_flight_and_stops_accepting) {
  service svc;
  svc.db.sleep_ms->store(600);  // the readiness check takes a while: the request is in flight when stop() comes
  connection idle(svc.port());
  ASSERT_TRUE(idle.request(get_request("/startupz")));
  std::optional<test_http::response> answer;
  const int runs_before = svc.db.runs->load();
  std::thread client([&] {
    connection c(svc.port());
    answer = c.request(get_request("/readyz"));
  });
  // In flight: the server has read the request and its readiness check has started (and sleeps 600 ms).
  const auto patience = std::chrono::steady_clock::now() + 10s;
  while (svc.db.runs->load() == runs_before && std::chrono::steady_clock::now() < patience) {
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_GT(svc.db.runs->load(), runs_before) << "the request never reached the check";
  const auto begin = std::chrono::steady_clock::now();
  svc.server->stop(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 4s);
  client.join();
  ASSERT_TRUE(answer) << "the request in flight was cut off";
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->header("connection"), "close");
  EXPECT_TRUE(idle.closed_within(2s));  // the idle keep-alive connection is closed at once
  EXPECT_THROW(connection after(svc.port()), std::runtime_error);
}

// ---- write actions ---------------------------------------------------------------------------------------------

TEST(admin_server, write_actions_are_404_when_disabled) {
  service svc;
  for (const char* path : {"/breakers/inventory/force-open", "/breakers/inventory/force-close",
                           "/breakers/inventory/reset", "/config/reload"}) {
    const auto r = fetch(svc.port(), "POST", path, "Authorization: Bearer s3cret-token\r\nContent-Length: 0\r\n");
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_NE(r->body.find("write actions are disabled"), std::string::npos);
  }
  EXPECT_EQ(svc.inventory.state(), arbiter::breaker_state::closed);
}

TEST(admin_server, write_actions_need_the_bearer_token) {
  service svc(arbiter::admin_options{.enable_write_actions = true, .token = "s3cret-token"});
  const std::string path = "/breakers/inventory/force-open";
  const auto missing = fetch(svc.port(), "POST", path, "Content-Length: 0\r\n");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->header("www-authenticate"), "Bearer realm=\"arbiter admin\"");
  const auto basic = fetch(svc.port(), "POST", path, "Authorization: Basic czNjcmV0\r\nContent-Length: 0\r\n");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  const auto empty = fetch(svc.port(), "POST", path, "Authorization: Bearer \r\nContent-Length: 0\r\n");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 401);  // no credentials at all
  for (const char* wrong : {"s3cret-tokeN", "s3cret-token-and-more", "s3cret", "S3CRET-TOKEN"}) {
    const auto r =
        fetch(svc.port(), "POST", path, std::string("Authorization: Bearer ") + wrong + "\r\nContent-Length: 0\r\n");
    ASSERT_TRUE(r) << wrong;
    EXPECT_EQ(r->status, 403) << wrong;
  }
  EXPECT_EQ(svc.inventory.state(), arbiter::breaker_state::closed);

  const std::string auth = "Authorization: Bearer s3cret-token\r\nContent-Length: 0\r\n";
  const auto get = fetch(svc.port(), "GET", path, auth);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  EXPECT_EQ(get->header("allow"), "POST");

  const auto open = fetch(svc.port(), "POST", path, auth);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->status, 200);
  EXPECT_EQ(json::parse(open->body)["state"], "forced_open");
  EXPECT_EQ(svc.inventory.state(), arbiter::breaker_state::forced_open);

  const auto close = fetch(svc.port(), "POST", "/breakers/inventory/force-close", auth);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->status, 200);
  EXPECT_EQ(svc.inventory.state(), arbiter::breaker_state::disabled);

  const auto reset = fetch(svc.port(), "POST", "/breakers/inventory/reset", auth);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  const json doc = json::parse(reset->body);
  EXPECT_EQ(doc["state"], "closed");
  EXPECT_EQ(doc["reason"], "reset");
  ASSERT_EQ(doc["transitions"].size(), 3U);  // newest first
  EXPECT_EQ(doc["transitions"][0]["to"], "closed");
  EXPECT_EQ(doc["transitions"][2]["to"], "forced_open");

  const auto nobody = fetch(svc.port(), "POST", "/breakers/nobody/reset", auth);
  ASSERT_TRUE(nobody);
  EXPECT_EQ(nobody->status, 404);
  const auto odd_action = fetch(svc.port(), "POST", "/breakers/inventory/explode", auth);
  ASSERT_TRUE(odd_action);
  EXPECT_EQ(odd_action->status, 404);

  const auto reload = fetch(svc.port(), "POST", "/config/reload", auth);
  ASSERT_TRUE(reload);
  EXPECT_EQ(reload->status, 200);
  const json result = json::parse(reload->body);
  EXPECT_EQ(result["ok"], true);
  EXPECT_TRUE(result["changed"].is_array());
  expect_still_serving(svc.port());
}

TEST(admin_server, refuses_write_actions_without_a_token_and_a_host_that_is_not_an_address) {
  arbiter::admin_sources none;
  EXPECT_THROW(arbiter::admin_server(arbiter::admin_options{.enable_write_actions = true}, none),
               std::invalid_argument);
  EXPECT_THROW(arbiter::admin_server(arbiter::admin_options{.host = "localhost"}, none), std::invalid_argument);
  EXPECT_THROW(arbiter::admin_server(arbiter::admin_options{.threads = 0}, none), std::invalid_argument);
  // A port in use: the error says where.
  arbiter::admin_server first(arbiter::admin_options{}, none);
  try {
    arbiter::admin_server second(arbiter::admin_options{.port = first.port()}, none);
    ADD_FAILURE() << "bound a port in use";
  } catch (const std::system_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
}

// ---- the real tools --------------------------------------------------------------------------------------------

TEST(admin_server, curl_reads_every_endpoint) {
  service svc;
  const std::string base = "http://127.0.0.1:" + std::to_string(svc.port());
  const auto curl = [&](const std::string& args) {
    return test_http::run(std::string(ARBITER_CURL) + " -sS --max-time 10 " + args);
  };
  const auto code = [&](const std::string& path, const std::string& extra = "") {
    return curl("-o /dev/null -w '%{http_code} %{content_type}' " + extra + " '" + base + path + "'").first;
  };
  EXPECT_EQ(code("/livez"), "200 text/plain; charset=utf-8");
  EXPECT_EQ(code("/readyz"), "200 text/plain; charset=utf-8");
  EXPECT_EQ(code("/startupz"), "200 text/plain; charset=utf-8");
  EXPECT_EQ(code("/health/ready?verbose"), "200 application/health+json");
  EXPECT_EQ(code("/health"), "200 application/health+json");
  EXPECT_EQ(code("/metrics"), "200 text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(code("/config"), "200 application/json");
  EXPECT_EQ(code("/breakers"), "200 application/json");
  EXPECT_EQ(code("/"), "200 text/html; charset=utf-8");
  EXPECT_EQ(code("/nope"), "404 text/plain; charset=utf-8");
  EXPECT_EQ(code("/readyz", "-X DELETE"), "405 text/plain; charset=utf-8");
  EXPECT_EQ(code("/livez", "-I"), "200 text/plain; charset=utf-8");

  const auto [health, rc] = curl("-H 'Accept: application/health+json' '" + base + "/readyz'");
  EXPECT_EQ(rc, 0);
  const json doc = json::parse(health);
  EXPECT_EQ(doc["status"], "pass");
  EXPECT_EQ(doc["checks"]["db:ping"][0]["status"], "pass");

  // curl reuses one connection for several URLs: keep-alive as a real client does it.
  const auto [many, many_rc] = curl("-w '%{http_code}\\n' -o /dev/null -o /dev/null -o /dev/null '" + base +
                                    "/livez' '" + base + "/readyz' '" + base + "/health'");
  EXPECT_EQ(many_rc, 0);
  EXPECT_EQ(many, "200\n200\n200\n");
}

TEST(admin_server, promtool_accepts_the_metrics) {
  service svc;
  (void)svc.inventory.execute([] { return 1; });
  svc.inventory.force_open();
  (void)svc.inventory.execute([] { return 1; }, [](const arbiter::rejection&) { return 0; });
  const std::string file = testing::TempDir() + "admin_metrics.txt";
  const auto [out, rc] = test_http::run(std::string(ARBITER_CURL) + " -sS --max-time 10 -o " + file +
                                        " http://127.0.0.1:" + std::to_string(svc.port()) + "/metrics");
  ASSERT_EQ(rc, 0) << out;
  const auto [lint, lint_rc] = test_http::run(std::string(ARBITER_PROMTOOL) + " check metrics < " + file + " 2>&1");
  EXPECT_EQ(lint_rc, 0) << lint;
  std::ifstream in(file);
  std::ostringstream read;  // not an istreambuf_iterator range: g++ 12 -O3 flags it with a false -Wnull-dereference
  read << in.rdbuf();
  const std::string text = read.str();
  EXPECT_NE(text.find("arbiter_breaker_rejections_total{breaker=\"inventory\""), std::string::npos) << text;
  std::remove(file.c_str());
}

// ---- http_get: the loopback client -------------------------------------------------------------------------

TEST(http_get, reads_the_status_content_type_and_body_of_an_answer) {
  service svc;
  const auto ready = arbiter::http_get(svc.port(), "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(ready.body, "pass\n");
  svc.db.state->store(2);
  const auto json_answer = arbiter::http_get(svc.port(), "/readyz?verbose", {.accept = "application/health+json"});
  EXPECT_EQ(json_answer.status, 503) << "any status is an answer, not an error";
  EXPECT_EQ(json_answer.content_type, "application/health+json");
  EXPECT_EQ(json::parse(json_answer.body)["status"], "fail");
}

TEST(http_get, nothing_listening_is_an_error_naming_the_address_and_target) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::address_v4::loopback(), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  try {
    (void)arbiter::http_get(port, "/readyz");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("http://127.0.0.1:" + std::to_string(port) + "/readyz"), std::string::npos) << what;
    EXPECT_NE(what.find("connect"), std::string::npos) << what;
  }
}

TEST(http_get, a_server_that_never_answers_times_out) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::address_v4::loopback(), 0});  // never accepts
  const auto started = std::chrono::steady_clock::now();
  try {
    (void)arbiter::http_get(silent.local_endpoint().port(), "/livez", {.timeout = 200ms});
    FAIL() << "expected a timeout";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("timed out"), std::string::npos) << error.what();
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 10s);
}

TEST(http_get, a_bad_target_or_host_is_refused_before_anything_is_sent) {
  EXPECT_THROW((void)arbiter::http_get(1, "readyz"), std::invalid_argument);
  EXPECT_THROW((void)arbiter::http_get(1, "/readyz\r\nX-Injected: 1"), std::invalid_argument);
  try {
    (void)arbiter::http_get(1, "/readyz", {.host = "localhost"});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("'localhost' is not an IP address"), std::string::npos) << error.what();
  }
}

}  // namespace
