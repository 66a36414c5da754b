// The OTLP/HTTP exporter against a real HTTP receiver on a loopback port, started by the test.
#include <utility>  // before Asio

#include <arbiter/lifecycle/shutdown_manager.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/otlp_http_exporter.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace.hpp>

#include <gtest/gtest.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "loopback_http_server.hpp"
#include "otlp_trace_test.pb.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

// Asio and Beast come from otlp_http_exporter.hpp, which includes them under its -Wnull-dereference guard.

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// A minimal OTLP receiver on a loopback_http_server. Each request gets the status `reply(index)` returns;
/// `hold()` keeps requests waiting until `release()`.
class receiver {
 public:
  struct request_record {
    std::string target;
    std::string content_type;
    std::string tenant;  // the x-tenant header, to check configured headers arrive
    std::string body;
    std::string content_encoding;
  };

  explicit receiver(std::function<unsigned(std::size_t)> reply = [](std::size_t) { return 200U; })
      : reply_(std::move(reply)), server_([this](const auto& request) { return handle(request); }) {}
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  ~receiver() {  // releases a held request; then server_, destroyed first, stops and joins
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
      held_ = false;
    }
    cv_.notify_all();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }

  void hold() {
    const std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    {
      const std::lock_guard lock(mutex_);
      held_ = false;
    }
    cv_.notify_all();
  }
  /// Waits (bounded) until a request is being held.
  bool wait_holding() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 10s, [&] { return holding_; });
  }
  /// Waits (bounded) until `n` requests have arrived.
  bool wait_requests(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, 10s, [&] { return requests_.size() >= n; });
  }

  [[nodiscard]] std::vector<request_record> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] std::size_t connections() const { return server_.connections(); }

  /// Counts the spans in every request body received with status 2xx, and checks each body parses.
  [[nodiscard]] std::vector<json> accepted_spans() const {
    std::vector<json> spans;
    const std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      if (statuses_[i] / 100 != 2) continue;
      const json body = json::parse(requests_[i].body);
      for (const auto& s : body["resourceSpans"][0]["scopeSpans"][0]["spans"]) spans.push_back(s);
    }
    return spans;
  }

 private:
  std::optional<arbiter_test::loopback_http_server::response> handle(
      const arbiter_test::loopback_http_server::request& request) {
    unsigned status = 0;
    {
      std::unique_lock lock(mutex_);
      requests_.push_back({std::string(request.target()), std::string(request[http::field::content_type]),
                           std::string(request["x-tenant"]), request.body(),
                           std::string(request[http::field::content_encoding])});
      status = reply_(requests_.size() - 1);
      statuses_.push_back(status);
      holding_ = held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !held_ || stopping_; });
      holding_ = false;
      if (stopping_) return std::nullopt;
    }
    arbiter_test::loopback_http_server::response response{static_cast<http::status>(status), 11};
    response.set(http::field::content_type, "application/json");
    if (status == 503) response.set(http::field::retry_after, "0");
    response.body() = status / 100 == 2 ? "{}" : "{\"message\":\"try later\"}";
    return response;
  }

  std::function<unsigned(std::size_t)> reply_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool held_ = false;
  bool holding_ = false;
  std::vector<request_record> requests_;
  std::vector<unsigned> statuses_;
  arbiter_test::loopback_http_server server_;  // last: its thread calls handle(), so it stops first
};

/// Returns a loopback port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

/// Options for the tests that read the bodies back as JSON: protocol http/json (the default is http/protobuf, see
/// the_default_protocol_posts_protobuf_that_libprotobuf_decodes).
arbiter::otlp_http_options options_for(std::uint16_t port) {
  arbiter::otlp_http_options o;
  o.endpoint = arbiter::http_endpoint::parse("http://127.0.0.1:" + std::to_string(port) + "/v1/traces");
  o.protocol = arbiter::otlp_protocol::http_json;
  o.headers = {{"x-tenant", "acme"}};
  o.timeout = 3s;
  o.resource.service_name = "checkout";
  o.resource.service_version = "1.4.2";
  o.resource.deployment_environment = "test";
  return o;
}

arbiter::batch_options batch_for_tests() {
  arbiter::batch_options o;
  o.max_queue_size = 1024;
  o.max_export_batch_size = 64;
  o.schedule_delay = 20ms;
  o.export_timeout = 3s;
  o.max_attempts = 3;
  o.initial_backoff = 5ms;
  o.max_backoff = 20ms;
  return o;
}

using processor = arbiter::batch_processor<arbiter::otlp_http_exporter>;
using tracer_type = arbiter::tracer<arbiter::always_on, processor>;

TEST(otlp_http_exporter, batches_arrive_complete_with_the_otlp_request_shape) {
  receiver rx;
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(rx.port())), batch_for_tests());
  tracer_type tracer(p);
  constexpr int spans = 150;
  for (int i = 0; i < spans; ++i) {
    arbiter::trace(
        tracer, "charge", [] {}, arbiter::attr("i", i), arbiter::attr("card", "visa"), arbiter::attr("ok", true));
  }
  ASSERT_TRUE(p->force_flush(10s));
  const auto got = rx.accepted_spans();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(spans));
  std::set<std::string> ids;
  std::set<std::int64_t> indices;
  for (const auto& s : got) {
    ids.insert(s["spanId"].get<std::string>());
    EXPECT_EQ(s["name"], "charge");
    ASSERT_EQ(s["attributes"].size(), 3U);
    indices.insert(std::stoll(s["attributes"][0]["value"]["intValue"].get<std::string>()));
    EXPECT_EQ(s["attributes"][1]["value"]["stringValue"], "visa");
    EXPECT_EQ(s["traceId"].get<std::string>().size(), 32U);
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(spans)) << "no span twice";
  EXPECT_EQ(indices.size(), static_cast<std::size_t>(spans)) << "no span missing";
  const auto requests = rx.requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& r : requests) {
    EXPECT_EQ(r.target, "/v1/traces");
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.tenant, "acme");
    const json body = json::parse(r.body);
    const json& attrs = body["resourceSpans"][0]["resource"]["attributes"];
    EXPECT_EQ(attrs[0]["value"]["stringValue"], "checkout");
    EXPECT_EQ(attrs[1]["value"]["stringValue"], "1.4.2");
    EXPECT_EQ(attrs[2]["value"]["stringValue"], "test");
  }
  EXPECT_EQ(rx.connections(), 1U) << "one kept-alive connection";
  EXPECT_EQ(p->stats().exported, static_cast<std::uint64_t>(spans));
  EXPECT_EQ(p->stats().dropped(), 0U);
}

TEST(otlp_http_exporter, the_default_protocol_posts_protobuf_that_libprotobuf_decodes) {
  receiver rx;
  auto o = options_for(rx.port());
  o.protocol = arbiter::otlp_http_options{}.protocol;
  ASSERT_EQ(o.protocol, arbiter::otlp_protocol::http_protobuf) << "http/protobuf is the specification's default";
  arbiter::otlp_http_exporter exporter(o);
  std::vector<arbiter::span_data> spans(2);
  spans[0].name = "charge";
  spans[0].context = {arbiter::trace_id{0x1122334455667788ULL, 0x99aabbccddeeff00ULL},
                      arbiter::span_id{0x0102030405060708ULL}, 1, false};
  spans[0].kind = arbiter::span_kind::client;
  spans[0].attributes = {{"card", std::string("visa")}, {"attempt", std::int64_t{2}}};
  spans[0].trace_state = "vendor=1";
  spans[1].name = "refund";
  const std::vector<const arbiter::span_data*> refs{&spans[1]};
  ASSERT_TRUE(exporter.export_spans(spans, 3s).ok());
  ASSERT_TRUE(exporter.export_spans(arbiter::span_refs(refs), 3s).ok());
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_EQ(requests[0].target, "/v1/traces");
  EXPECT_EQ(requests[0].content_type, "application/x-protobuf");
  EXPECT_EQ(requests[0].tenant, "acme");
  EXPECT_EQ(requests[0].body, arbiter::otlp_protobuf(spans, exporter.options().resource));

  arbiter_test::otlp::ExportTraceServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(requests[0].body));
  ASSERT_EQ(request.resource_spans_size(), 1);
  const auto& resource = request.resource_spans(0).resource();
  ASSERT_EQ(resource.attributes_size(), 3);
  EXPECT_EQ(resource.attributes(0).key(), "service.name");
  EXPECT_EQ(resource.attributes(0).value().string_value(), "checkout");
  EXPECT_EQ(resource.attributes(1).value().string_value(), "1.4.2");
  EXPECT_EQ(resource.attributes(2).value().string_value(), "test");
  const auto& decoded = request.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(decoded.size(), 2);
  EXPECT_EQ(decoded[0].name(), "charge");
  EXPECT_EQ(decoded[0].trace_id(), std::string("\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00", 16));
  EXPECT_EQ(decoded[0].span_id(), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(decoded[0].kind(), arbiter_test::otlp::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(decoded[0].trace_state(), "vendor=1");
  EXPECT_EQ(decoded[0].flags(), 0x101U) << "sampled; a root span: its parent is not remote";
  ASSERT_EQ(decoded[0].attributes_size(), 2);
  EXPECT_EQ(decoded[0].attributes(0).key(), "card");
  EXPECT_EQ(decoded[0].attributes(0).value().string_value(), "visa");
  EXPECT_EQ(decoded[0].attributes(1).value().int_value(), 2);
  EXPECT_EQ(decoded[1].name(), "refund");

  ASSERT_TRUE(request.ParseFromString(requests[1].body)) << "spans read in place, encoded alike";
  ASSERT_EQ(request.resource_spans(0).scope_spans(0).spans_size(), 1);
  EXPECT_EQ(request.resource_spans(0).scope_spans(0).spans(0).name(), "refund");
  EXPECT_EQ(rx.connections(), 1U);
}

TEST(configured_exporter, sends_protobuf_unless_otel_exporter_otlp_protocol_says_http_json) {
  receiver rx;
  for (const char* protocol : {"", "http/protobuf", "http/json"}) {
    const std::map<std::string, std::string> vars = {
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:" + std::to_string(rx.port()) + "/v1/traces"},
        {"OTEL_EXPORTER_OTLP_PROTOCOL", protocol}};
    const auto lookup = [&vars](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
    arbiter::configured_exporter exporter(arbiter::read_otel_environment(lookup));
    std::vector<arbiter::span_data> spans(1);
    spans[0].name = protocol;
    ASSERT_TRUE(exporter.export_spans(spans, 3s).ok()) << protocol;
    exporter.shutdown();
  }
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(requests[i].content_type, "application/x-protobuf") << i;
    arbiter_test::otlp::ExportTraceServiceRequest request;
    ASSERT_TRUE(request.ParseFromString(requests[i].body)) << i;
    EXPECT_EQ(request.resource_spans(0).scope_spans(0).spans(0).name(), i == 0 ? "unnamed" : "http/protobuf");
  }
  EXPECT_EQ(requests[2].content_type, "application/json");
  EXPECT_EQ(json::parse(requests[2].body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"], "http/json");
}

TEST(otlp_http_exporter, unavailable_receiver_is_retried_then_accepts) {
  receiver rx([](std::size_t index) { return index < 2 ? 503U : 200U; });
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(rx.port())), batch_for_tests());
  tracer_type tracer(p);
  { auto span = tracer.start_span("once"); }
  ASSERT_TRUE(p->force_flush(10s));
  EXPECT_EQ(rx.requests().size(), 3U);
  EXPECT_EQ(p->stats().exported, 1U);
  EXPECT_EQ(p->stats().retries, 2U);
  EXPECT_NE(p->last_error().find("HTTP 503"), std::string::npos) << p->last_error();
}

TEST(otlp_http_exporter, rejected_request_is_not_retried_and_counted) {
  receiver rx([](std::size_t) { return 400U; });
  auto batch = batch_for_tests();
  batch.schedule_delay = 1h;  // one request, by the flush: a timer firing between the spans would split it
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(rx.port())), batch);
  tracer_type tracer(p);
  for (int i = 0; i < 3; ++i) auto span = tracer.start_span("bad");
  ASSERT_TRUE(p->force_flush(10s));
  EXPECT_EQ(rx.requests().size(), 1U);
  EXPECT_EQ(p->stats().dropped_export_failed, 3U);
  EXPECT_NE(p->last_error().find("HTTP 400"), std::string::npos) << p->last_error();
}

TEST(otlp_http_exporter, receiver_down_loses_nothing_in_the_caller_and_counts_drops) {
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(closed_port())), batch_for_tests());
  tracer_type tracer(p);
  int results = 0;
  for (int i = 0; i < 40; ++i) results += arbiter::trace(tracer, "work", [i] { return i; });
  EXPECT_EQ(results, 780) << "every traced call ran and returned";
  ASSERT_TRUE(p->force_flush(10s));
  const auto stats = p->stats();
  EXPECT_EQ(stats.exported, 0U);
  EXPECT_EQ(stats.dropped_export_failed, 40U);
  EXPECT_LE(stats.export_calls, 3U * 40U) << "bounded retries";
  EXPECT_EQ(stats.export_calls % 3U, 0U) << "each batch tried exactly max_attempts times";
  EXPECT_NE(p->last_error().find("cannot connect"), std::string::npos) << p->last_error();
}

TEST(otlp_http_exporter, a_stop_requested_before_the_export_ends_it_before_any_lookup_or_connection) {
  receiver rx;
  auto options = options_for(rx.port());
  options.endpoint.host = "localhost";  // a name: nothing must be looked up once the stop is requested
  arbiter::otlp_http_exporter exporter(options);
  std::stop_source stop;
  stop.request_stop();
  const arbiter::span_data span;
  const auto result = exporter.export_spans(std::span<const arbiter::span_data>(&span, 1), 5s, stop.get_token());
  EXPECT_EQ(result.status, arbiter::export_result::code::retryable);
  EXPECT_NE(result.error.find("stopped at the processor's shutdown deadline"), std::string::npos) << result.error;
  EXPECT_EQ(exporter.stats().connections, 0U);
  EXPECT_EQ(exporter.stats().requests, 0U);
}

TEST(otlp_http_exporter, slow_receiver_does_not_slow_the_traced_call) {
  receiver rx;
  rx.hold();
  auto options = batch_for_tests();
  options.max_queue_size = 4096;
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(rx.port())), options);
  tracer_type tracer(p);
  { auto first = tracer.start_span("first"); }
  ASSERT_TRUE(rx.wait_holding()) << "the exporter is now waiting on the receiver";
  for (int i = 0; i < 2000; ++i) auto span = tracer.start_span("while the receiver is stuck");
  // Getting here at all proves the point: every span above ended while the only export in flight was held.
  rx.release();
  ASSERT_TRUE(p->force_flush(10s));
  EXPECT_EQ(rx.accepted_spans().size(), 2001U);
  EXPECT_EQ(p->stats().dropped(), 0U);
}

TEST(otlp_http_exporter, receiver_slower_than_the_timeout_counts_as_retryable) {
  receiver rx;
  rx.hold();
  auto o = options_for(rx.port());
  o.timeout = 150ms;
  auto batch = batch_for_tests();
  batch.max_attempts = 2;
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(o), batch);
  tracer_type tracer(p);
  { auto span = tracer.start_span("late"); }
  ASSERT_TRUE(p->force_flush(10s));
  rx.release();
  EXPECT_EQ(p->stats().dropped_export_failed, 1U);
  EXPECT_EQ(p->stats().export_calls, 2U);
}

TEST(otlp_http_exporter, shutdown_flushes_what_is_queued) {
  receiver rx;
  auto options = batch_for_tests();
  options.schedule_delay = 1h;
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(options_for(rx.port())), options);
  {
    tracer_type tracer(p);
    for (int i = 0; i < 30; ++i) auto span = tracer.start_span("queued");
  }
  EXPECT_EQ(rx.requests().size(), 0U) << "nothing sent before the schedule delay";
  p->shutdown(10s);
  EXPECT_EQ(rx.accepted_spans().size(), 30U);
  EXPECT_EQ(p->stats().exported, 30U);
}

TEST(otlp_http_exporter, shutdown_within_its_budget_when_the_collector_accepts_and_never_answers) {
  receiver rx;
  rx.hold();  // reads the request and never answers
  auto o = options_for(rx.port());
  o.timeout = 10s;
  auto batch = batch_for_tests();
  batch.export_timeout = 30s;  // the SDK default: as long as Kubernetes' whole grace period
  auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(o), batch);
  tracer_type tracer(p);
  for (int i = 0; i < 5; ++i) auto span = tracer.start_span("unanswered");
  ASSERT_TRUE(rx.wait_holding()) << "an export is in flight, waiting for the answer";
  const auto start = std::chrono::steady_clock::now();
  const bool in_time = p->shutdown(200ms);
  const auto took = std::chrono::steady_clock::now() - start;
  rx.release();
  EXPECT_FALSE(in_time) << "it gave up at its deadline";
  EXPECT_LT(took, 2s) << "bounded by the 200 ms budget, not the 10 s HTTP or 30 s export timeout";
  EXPECT_EQ(p->stats().exported, 0U);
  EXPECT_EQ(p->stats().dropped(), 5U) << "every span is exported or counted";
  EXPECT_NE(p->last_error().find("stopped at the processor's shutdown deadline"), std::string::npos) << p->last_error();
}

TEST(otlp_http_exporter, tracing_shutdown_hook_keeps_the_managers_budget_and_reports_what_it_dropped) {
  for (const bool listening : {true, false}) {  // a collector that never answers, then a closed port
    std::optional<receiver> rx;
    if (listening) {
      rx.emplace();
      rx->hold();
    }
    auto o = options_for(listening ? rx->port() : closed_port());
    o.timeout = 10s;
    auto batch = batch_for_tests();
    batch.export_timeout = 30s;
    batch.initial_backoff = 1s;  // OpenTelemetry's: a retry no longer fits the budget
    batch.max_backoff = 5s;
    auto p = std::make_shared<processor>(arbiter::otlp_http_exporter(o), batch);
    tracer_type tracer(p);
    for (int i = 0; i < 7; ++i) auto span = tracer.start_span("unsent");
    arbiter::shutdown_options options;
    options.poll_interval = 5ms;
    arbiter::shutdown_manager<arbiter::null_logger, arbiter::steady_clock, arbiter::recording_exit> manager(
        arbiter::null_logger{}, options, arbiter::steady_clock{}, arbiter::recording_exit{});
    // 1 s: the processor keeps its whole reserve (a fifth, at most 100 ms) for cancelling the export and joining
    // its worker, which a loaded machine may take tens of milliseconds to do.
    manager.add_hook("tracing", 90, arbiter::tracing_shutdown_hook(tracer), 1s);
    const auto start = std::chrono::steady_clock::now();
    manager.trigger_shutdown();
    const auto& result = manager.wait();
    const auto took = std::chrono::steady_clock::now() - start;
    if (rx) rx->release();
    EXPECT_LT(took, 5s) << "listening " << listening;
    const auto* hook = result.find("tracing");
    ASSERT_NE(hook, nullptr);
    EXPECT_EQ(hook->outcome, arbiter::hook_outcome::failed)
        << "listening " << listening << ": finished within its budget, and said what it lost: " << hook->error;
    EXPECT_NE(hook->error.find("7 spans not exported"), std::string::npos) << hook->error;
    EXPECT_NE(hook->error.find("budget of 1000 ms"), std::string::npos) << hook->error;
    EXPECT_EQ(p->stats().exported + p->stats().dropped(), 7U);
  }
}

TEST(otlp_http_exporter, receiver_gone_after_a_kept_alive_connection_is_retryable) {
  auto rx = std::make_unique<receiver>();
  const auto port = rx->port();
  arbiter::otlp_http_exporter exporter(options_for(port));
  std::vector<arbiter::span_data> spans(2);
  ASSERT_TRUE(exporter.export_spans(spans, 3s).ok());
  rx.reset();  // the receiver goes away, closing the kept-alive connection
  const auto down = exporter.export_spans(spans, 3s);
  EXPECT_EQ(down.status, arbiter::export_result::code::retryable) << down.error;
}

/// Returns the message of the std::invalid_argument that constructing an exporter from `o` throws.
std::string construction_error(const arbiter::otlp_http_options& o) {
  try {
    arbiter::otlp_http_exporter exporter(o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  ADD_FAILURE() << "the exporter accepted the options";
  return {};
}

TEST(otlp_http_exporter, programmatic_headers_cannot_add_lines_to_the_request) {
  receiver rx;
  auto o = options_for(rx.port());
  o.headers = {{"x-tenant", "acme"}, {"authorization", "Bearer s3cret\r\nx-evil: 1"}};
  std::string what = construction_error(o);
  EXPECT_NE(what.find("otlp_http_options.headers"), std::string::npos) << what;
  EXPECT_NE(what.find("\"authorization\""), std::string::npos) << what;
  EXPECT_NE(what.find("carriage return"), std::string::npos) << what;
  EXPECT_EQ(what.find("s3cret"), std::string::npos) << "a header value is never echoed: " << what;
  EXPECT_EQ(what.find("x-evil"), std::string::npos) << what;

  o.headers = {{"x tenant", "acme"}};
  what = construction_error(o);
  EXPECT_NE(what.find("\"x tenant\""), std::string::npos) << what;
  o.headers = {{"x-tenant\r\nx-evil", "1"}};
  what = construction_error(o);
  EXPECT_EQ(what.find_first_of("\r\n"), std::string::npos) << what;
  o.headers = {{"", "1"}};
  (void)construction_error(o);
  o.headers = {{"x-tenant", std::string("a\0b", 3)}};
  EXPECT_NE(construction_error(o).find("NUL"), std::string::npos);
  EXPECT_EQ(rx.requests().size(), 0U) << "nothing was sent";
}

TEST(otlp_http_exporter, programmatic_endpoint_is_validated_as_a_parsed_one) {
  receiver rx;
  auto o = options_for(rx.port());
  o.endpoint.target = "/v1/traces HTTP/1.1\r\nx-evil: 1\r\n";
  std::string what = construction_error(o);
  EXPECT_NE(what.find("otlp_http_options.endpoint"), std::string::npos) << what;
  EXPECT_NE(what.find("path"), std::string::npos) << what;
  EXPECT_EQ(what.find_first_of("\r\n"), std::string::npos) << what;
  o = options_for(rx.port());
  o.endpoint.host = "127.0.0.1\r\nx-evil: 1";
  EXPECT_NE(construction_error(o).find("host"), std::string::npos);
  o = options_for(rx.port());
  o.endpoint.port = 0;
  EXPECT_NE(construction_error(o).find("port"), std::string::npos);
  EXPECT_EQ(rx.requests().size(), 0U) << "nothing was sent";
}

TEST(otlp_http_exporter, repeated_resource_attribute_keys_are_sent_once_with_the_later_value) {
  receiver rx;
  auto o = options_for(rx.port());
  o.resource.attributes = {{"team", std::string("a")}, {"region", std::string("eu")}, {"team", std::string("b")}};
  arbiter::otlp_http_exporter exporter(o);
  std::vector<arbiter::span_data> spans(1);
  ASSERT_TRUE(exporter.export_spans(spans, 3s).ok());
  ASSERT_EQ(rx.requests().size(), 1U);
  const json body = json::parse(rx.requests()[0].body);
  std::map<std::string, int> seen;
  std::string team;
  for (const auto& a : body["resourceSpans"][0]["resource"]["attributes"]) {
    ++seen[a["key"].get<std::string>()];
    if (a["key"] == "team") team = a["value"]["stringValue"].get<std::string>();
  }
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key;
  EXPECT_EQ(team, "b");
  EXPECT_EQ(seen.count("region"), 1U);
}

TEST(configured_exporter, console_lines_carry_each_resource_key_once) {
  arbiter::otel_settings settings;
  settings.exporter = arbiter::otel_settings::exporter_kind::console;
  settings.otlp.resource.attributes = {{"team", std::string("a")}, {"team", std::string("b")}};
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  arbiter::configured_exporter console(settings, file);
  std::vector<arbiter::span_data> spans(1);
  ASSERT_TRUE(console.export_spans(spans, 3s).ok());
  std::rewind(file);
  char line[4096] = {};
  ASSERT_NE(std::fgets(line, sizeof line, file), nullptr);
  std::fclose(file);
  const std::string text = line;
  const auto first = text.find("\"team\"");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("\"team\"", first + 1), std::string::npos) << "one team key: " << text;
  EXPECT_EQ(json::parse(text)["resource"]["team"], "b");
}

TEST(configured_exporter, follows_otel_traces_exporter) {
  receiver rx;
  const std::map<std::string, std::string> vars = {
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:" + std::to_string(rx.port()) + "/v1/traces"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
      {"OTEL_SERVICE_NAME", "from-env"}};
  const auto lookup = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  auto settings = arbiter::read_otel_environment(lookup);
  std::vector<arbiter::span_data> spans(3);
  arbiter::configured_exporter otlp(settings);
  ASSERT_TRUE(otlp.export_spans(spans, 3s).ok());
  ASSERT_EQ(rx.accepted_spans().size(), 3U);
  EXPECT_EQ(
      json::parse(rx.requests().at(0).body)["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"],
      "from-env");
  otlp.shutdown();

  settings.exporter = arbiter::otel_settings::exporter_kind::console;
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  arbiter::configured_exporter console(settings, file);
  ASSERT_TRUE(console.export_spans(spans, 3s).ok());
  std::rewind(file);
  std::vector<std::string> lines;
  for (char line[4096]; std::fgets(line, sizeof line, file) != nullptr;) lines.emplace_back(line);
  std::fclose(file);
  ASSERT_EQ(lines.size(), 3U) << "one JSON line a span";
  EXPECT_EQ(json::parse(lines[0])["resource"]["service.name"], "from-env") << "console lines name the service";

  settings.exporter = arbiter::otel_settings::exporter_kind::none;
  arbiter::configured_exporter none(settings);
  EXPECT_TRUE(none.export_spans(spans, 3s).ok());
  EXPECT_EQ(rx.requests().size(), 1U) << "none sends nothing";
}

/// Returns `gz` gunzipped (fails the test, and returns what it has, on a broken stream).
std::string gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);  // gzip only: a zlib or raw stream is an error here
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "a complete gzip stream";
  EXPECT_EQ(z.avail_in, 0U) << "nothing after the gzip trailer";
  inflateEnd(&z);
  return out;
}

std::vector<arbiter::span_data> some_spans(int n, const std::string& name) {
  std::vector<arbiter::span_data> spans(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& s = spans[static_cast<std::size_t>(i)];
    s.name = name;
    s.context = {arbiter::trace_id{0x0123456789abcdefULL, static_cast<std::uint64_t>(i + 1)},
                 arbiter::span_id{static_cast<std::uint64_t>(i + 1)}, arbiter::trace_flags::sampled, false};
    s.attributes = {{"i", std::int64_t{i}}, {"card", std::string("visa")}};
    s.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000 + i));
    s.end_time = s.start_time + 3ms;
  }
  return spans;
}

TEST(otlp_http_exporter, gzip_bodies_carry_content_encoding_and_gunzip_to_the_json_encoding) {
  receiver rx;
  auto options = options_for(rx.port());
  options.compression = arbiter::http_compression::gzip;
  arbiter::otlp_http_exporter exporter(options);
  const auto first = some_spans(200, "charge");
  const auto second = some_spans(3, "refund");  // a smaller body after a larger one: the buffers are reused
  ASSERT_TRUE(exporter.export_spans(first, 3s).ok());
  ASSERT_TRUE(exporter.export_spans(second, 3s).ok());
  ASSERT_TRUE(exporter.export_spans(first, 3s).ok());
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 3U);
  std::uint64_t wire = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    EXPECT_EQ(r.content_encoding, "gzip");
    EXPECT_EQ(r.content_type, "application/json");
    std::string expected;
    arbiter::encode_otlp_json(expected, i == 1 ? second : first, options.resource);
    const std::string plain = gunzip(r.body);
    EXPECT_EQ(plain, expected) << "request " << i;
    if (i != 1) {
      EXPECT_LT(r.body.size(), expected.size() / 4) << "200 similar spans compress well";
    }
    wire += r.body.size();
  }
  EXPECT_EQ(exporter.stats().bytes_sent, wire) << "bytes_sent counts the compressed bodies";
  EXPECT_EQ(rx.connections(), 1U);
}

TEST(otlp_http_exporter, without_compression_there_is_no_content_encoding) {
  receiver rx;
  arbiter::otlp_http_exporter exporter(options_for(rx.port()));
  const auto spans = some_spans(2, "plain");
  ASSERT_TRUE(exporter.export_spans(spans, 3s).ok());
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].content_encoding, "");
  std::string expected;
  arbiter::encode_otlp_json(expected, spans, options_for(rx.port()).resource);
  EXPECT_EQ(requests[0].body, expected);
}

}  // namespace
