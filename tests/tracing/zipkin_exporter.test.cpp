// The Zipkin exporter against a real HTTP receiver on a loopback port, started by the test.
#include <utility>  // before Asio

#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/otlp_http_exporter.hpp>
#include <arbiter/tracing/sampler.hpp>
#include <arbiter/tracing/sdk_tracer.hpp>
#include <arbiter/tracing/trace_context.hpp>
#include <arbiter/tracing/zipkin_exporter.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loopback_http_server.hpp"

// Asio and Beast come from zipkin_exporter.hpp, which includes them under its -Wnull-dereference guard.

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// What the receiver answers a request with.
struct reply {
  unsigned status = 202;  ///< Zipkin's answer to an accepted POST /api/v2/spans
  std::string retry_after;
};

/// A minimal Zipkin receiver on a loopback_http_server, answering each request with `answer(index)` and
/// recording it.
class zipkin_receiver {
 public:
  struct request_record {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
  };

  explicit zipkin_receiver(std::function<reply(std::size_t)> answer = [](std::size_t) { return reply{}; })
      : answer_(std::move(answer)), server_([this](const auto& request) { return handle(request); }) {}
  zipkin_receiver(const zipkin_receiver&) = delete;
  zipkin_receiver& operator=(const zipkin_receiver&) = delete;
  ~zipkin_receiver() = default;

  [[nodiscard]] std::uint16_t port() const noexcept { return server_.port(); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/api/v2/spans"; }

  [[nodiscard]] std::vector<request_record> requests() const {
    const std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::optional<arbiter_test::loopback_http_server::response> handle(
      const arbiter_test::loopback_http_server::request& request) {
    reply r;
    {
      const std::lock_guard lock(mutex_);
      requests_.push_back({std::string(request.method_string()), std::string(request.target()),
                           std::string(request[http::field::content_type]), request.body()});
      r = answer_(requests_.size() - 1);
    }
    arbiter_test::loopback_http_server::response response{static_cast<http::status>(r.status), 11};
    if (!r.retry_after.empty()) response.set(http::field::retry_after, r.retry_after);
    response.body() = r.status / 100 == 2 ? "" : "bad span";
    return response;
  }

  std::function<reply(std::size_t)> answer_;
  mutable std::mutex mutex_;
  std::vector<request_record> requests_;
  arbiter_test::loopback_http_server server_;  // last: its thread calls handle(), so it stops first
};

arbiter::zipkin_options options_for(const zipkin_receiver& rx) {
  arbiter::zipkin_options o;
  o.endpoint = arbiter::http_endpoint::parse(rx.url());
  o.timeout = 3s;
  return o;
}

arbiter::otlp_resource checkout() {
  arbiter::otlp_resource r;
  r.service_name = "checkout";
  r.service_version = "1.4.2";
  return r;
}

std::vector<arbiter::span_data> sample_spans() {
  std::vector<arbiter::span_data> spans(2);
  spans[0].name = "charge";
  spans[0].context = {arbiter::trace_id{1, 2}, arbiter::span_id{3}, arbiter::trace_flags::sampled, false};
  spans[0].kind = arbiter::span_kind::client;
  spans[0].attributes = {{"card", std::string("visa")}, {"amount", std::int64_t{42}}};
  spans[1].name = "refund";
  spans[1].context = {arbiter::trace_id{1, 2}, arbiter::span_id{4}, arbiter::trace_flags::sampled, false};
  spans[1].parent_span_id = arbiter::span_id{3};
  spans[1].status = arbiter::span_status::error;
  spans[1].status_description = "declined";
  return spans;
}

TEST(zipkin_exporter, posts_the_v2_json_list_to_api_v2_spans) {
  zipkin_receiver rx;
  arbiter::zipkin_exporter exporter(options_for(rx), checkout());
  const auto spans = sample_spans();
  const arbiter::export_result result = exporter.export_spans(spans, 3s);
  ASSERT_TRUE(result.ok()) << result.error;
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/v2/spans");
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(requests[0].body, arbiter::zipkin_json(spans, checkout())) << "the body is the encoder's";
  const json body = json::parse(requests[0].body);
  ASSERT_EQ(body.size(), 2U);
  EXPECT_EQ(body[0]["id"], "0000000000000003");
  EXPECT_EQ(body[0]["kind"], "CLIENT");
  EXPECT_EQ(body[0]["localEndpoint"]["serviceName"], "checkout");
  EXPECT_EQ(body[0]["tags"]["amount"], "42");
  EXPECT_EQ(body[0]["tags"]["service.version"], "1.4.2");
  EXPECT_EQ(body[1]["parentId"], "0000000000000003");
  EXPECT_EQ(body[1]["tags"]["error"], "declined");
  EXPECT_EQ(exporter.stats().requests, 1U);
  EXPECT_EQ(exporter.stats().last_status, 202U);
  EXPECT_EQ(exporter.stats().bytes_sent, requests[0].body.size());

  std::vector<const arbiter::span_data*> refs{&spans[1]};
  ASSERT_TRUE(exporter.export_spans(arbiter::span_refs(refs), 3s).ok()) << "spans read in place";
  ASSERT_EQ(rx.requests().size(), 2U);
  EXPECT_EQ(json::parse(rx.requests()[1].body)[0]["name"], "refund");
  EXPECT_EQ(exporter.stats().connections, 1U) << "one kept-alive connection";
}

TEST(zipkin_exporter, a_400_is_a_failure_not_retried) {
  zipkin_receiver rx([](std::size_t) { return reply{400, {}}; });
  arbiter::zipkin_exporter exporter(options_for(rx));
  const arbiter::export_result result = exporter.export_spans(sample_spans(), 3s);
  EXPECT_EQ(result.status, arbiter::export_result::code::failure);
  EXPECT_NE(result.error.find("Zipkin export to " + rx.url() + ": HTTP 400: bad span"), std::string::npos)
      << result.error;
}

TEST(zipkin_exporter, a_503_with_retry_after_is_retryable_after_that_delay) {
  zipkin_receiver rx([](std::size_t) { return reply{503, "7"}; });
  arbiter::zipkin_exporter exporter(options_for(rx));
  const arbiter::export_result result = exporter.export_spans(sample_spans(), 3s);
  EXPECT_EQ(result.status, arbiter::export_result::code::retryable);
  EXPECT_EQ(result.retry_after, 7s);
  EXPECT_NE(result.error.find("HTTP 503"), std::string::npos) << result.error;
}

TEST(zipkin_exporter, no_receiver_is_retryable) {
  arbiter::zipkin_options o;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    o.endpoint = arbiter::http_endpoint{"127.0.0.1", acceptor.local_endpoint().port(), "/api/v2/spans"};
  }  // closed: nobody listens there now
  arbiter::zipkin_exporter exporter(o);
  const arbiter::export_result result = exporter.export_spans(sample_spans(), 3s);
  EXPECT_EQ(result.status, arbiter::export_result::code::retryable);
  EXPECT_NE(result.error.find("Zipkin export to"), std::string::npos) << result.error;
}

TEST(zipkin_exporter, options_are_checked_like_the_otlp_exporters) {
  const auto error_of = [](const arbiter::zipkin_options& o) -> std::string {
    try {
      arbiter::zipkin_exporter exporter(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return {};
  };
  arbiter::zipkin_options bad_path;
  bad_path.endpoint.target = "/api/v2/spans\r\nX-Injected: 1";
  EXPECT_NE(error_of(bad_path).find("zipkin_options.endpoint"), std::string::npos) << error_of(bad_path);
  arbiter::zipkin_options bad_header;
  bad_header.headers = {{"authorization", "secret\r\nX-Injected: 1"}};
  const std::string header_error = error_of(bad_header);
  EXPECT_NE(header_error.find("zipkin_options.headers"), std::string::npos) << header_error;
  EXPECT_EQ(header_error.find("secret"), std::string::npos) << "never the value";
}

TEST(zipkin_exporter, behind_a_batch_processor_every_span_arrives_and_a_remote_server_span_keeps_its_parent) {
  zipkin_receiver rx;
  using processor = arbiter::batch_processor<arbiter::zipkin_exporter>;
  arbiter::batch_options batch;
  batch.schedule_delay = 20ms;
  batch.max_export_batch_size = 16;
  auto p = std::make_shared<processor>(arbiter::zipkin_exporter(options_for(rx), checkout()), batch);
  arbiter::tracer<arbiter::always_on, processor> tracer(p);
  const auto remote = arbiter::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(remote.has_value());
  constexpr int spans = 40;
  for (int i = 0; i < spans; ++i) {
    auto server = tracer.start_span("handle", {.parent = *remote, .kind = arbiter::span_kind::server});
    server.set_attribute("i", i);
  }
  ASSERT_TRUE(p->force_flush(10s));
  std::size_t got = 0;
  for (const auto& request : rx.requests()) {
    for (const auto& s : json::parse(request.body)) {
      ++got;
      EXPECT_EQ(s["traceId"], "0af7651916cd43dd8448eb211c80319c");
      EXPECT_EQ(s["parentId"], "b7ad6b7169203331") << "a child of the client's span";
      EXPECT_EQ(s["kind"], "SERVER");
      EXPECT_FALSE(s.contains("shared")) << "its own id: not the client's span";
      EXPECT_EQ(s["localEndpoint"]["serviceName"], "checkout");
    }
  }
  EXPECT_EQ(got, static_cast<std::size_t>(spans));
  EXPECT_EQ(p->stats().exported, static_cast<std::uint64_t>(spans));
  EXPECT_EQ(p->stats().dropped(), 0U);
  p->shutdown();
}

TEST(configured_exporter, otel_traces_exporter_zipkin_posts_to_the_zipkin_endpoint) {
  zipkin_receiver rx;
  const std::map<std::string, std::string> vars = {{"OTEL_TRACES_EXPORTER", "zipkin"},
                                                   {"OTEL_EXPORTER_ZIPKIN_ENDPOINT", rx.url()},
                                                   {"OTEL_EXPORTER_ZIPKIN_TIMEOUT", "3000"},
                                                   {"OTEL_SERVICE_NAME", "from-env"},
                                                   {"OTEL_RESOURCE_ATTRIBUTES", "team=a,team=b"}};
  const auto lookup = [&vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  arbiter::configured_exporter exporter(arbiter::read_otel_environment(lookup));
  EXPECT_EQ(exporter.kind(), arbiter::otel_settings::exporter_kind::zipkin);
  const std::vector<arbiter::span_data> spans{sample_spans()[0]};
  const arbiter::export_result result = exporter.export_spans(spans, 3s);
  ASSERT_TRUE(result.ok()) << result.error;
  const auto requests = rx.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/api/v2/spans");
  const std::string& text = requests[0].body;
  const auto first = text.find("\"team\"");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("\"team\"", first + 1), std::string::npos) << "one team tag a span: " << text;
  const json body = json::parse(text);
  ASSERT_EQ(body.size(), 1U);
  EXPECT_EQ(body[0]["localEndpoint"]["serviceName"], "from-env");
  EXPECT_EQ(body[0]["tags"]["team"], "b");
  exporter.shutdown();
}

}  // namespace
