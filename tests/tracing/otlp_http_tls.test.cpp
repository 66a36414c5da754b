// The OTLP/HTTP exporter over TLS, against a loopback TLS receiver (Beast's ssl_stream) started by the test, with a
// CA and certificates the test makes with the openssl command.
#include <utility>  // before Asio

#include <arbiter/tracing/otel_env.hpp>
#include <arbiter/tracing/otlp_http_exporter.hpp>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Asio, Beast and OpenSSL come from otlp_http_exporter.hpp, which includes them under its -Wnull-dereference guard.

#ifndef ARBITER_OPENSSL_COMMAND
#define ARBITER_OPENSSL_COMMAND "openssl"
#endif

namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

/// The test's PKI, made once per process in a temporary folder: a CA, a server certificate for 127.0.0.1 and
/// localhost signed by it, a client certificate signed by it, another CA that signed nothing the server uses, and a
/// server certificate for another name.
struct pki {
  fs::path dir;
  std::string error;  // why making it failed ("" when it worked)

  [[nodiscard]] std::string file(const char* name) const { return (dir / name).string(); }

  static const pki& get() {
    static const pki made = make();
    return made;
  }

 private:
  static pki make() {
    pki p;
    p.dir = fs::temp_directory_path() / ("arbiter-tls-test-" + std::to_string(::getpid()));
    fs::remove_all(p.dir);
    fs::create_directories(p.dir);
    std::ofstream(p.dir / "openssl.cnf") << R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[other_name_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:elsewhere.example
[client_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
)";
    const std::string openssl = ARBITER_OPENSSL_COMMAND;
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const auto in = [&](const std::string& name) { return " \"" + p.file(name.c_str()) + "\""; };
    const std::string cnf = in("openssl.cnf");
    const auto ca = [&](const std::string& name, const std::string& cn) {
      return openssl + " req -x509 -config" + cnf + " -extensions ca_ext" + key + " -keyout" + in(name + ".key") +
             " -out" + in(name + ".pem") + " -days 2 -subj \"/CN=" + cn + "\"";
    };
    const auto leaf = [&](const std::string& name, const std::string& cn, const std::string& ext) {
      return openssl + " req -new -config" + cnf + key + " -keyout" + in(name + ".key") + " -out" + in(name + ".csr") +
             " -subj \"/CN=" + cn + "\" && " + openssl + " x509 -req -in" + in(name + ".csr") + " -CA" + in("ca.pem") +
             " -CAkey" + in("ca.key") + " -CAcreateserial -days 2 -out" + in(name + ".pem") + " -extfile" + cnf +
             " -extensions " + ext;
    };
    const std::vector<std::string> steps = {
        ca("ca", "arbiter test CA"),
        ca("other_ca", "arbiter other CA"),
        leaf("server", "localhost", "server_ext"),
        leaf("other_name", "elsewhere.example", "other_name_ext"),
        leaf("client", "arbiter test client", "client_ext"),
        // The client's key again, encrypted with a pass phrase the exporter is never given.
        openssl + " pkey -in" + in("client.key") + " -aes256 -passout pass:not-given -out" + in("client_encrypted.key"),
    };
    const std::string log = p.file("openssl.log");
    for (const auto& step : steps) {
      if (std::system(("(" + step + ") >>\"" + log + "\" 2>&1").c_str()) != 0) {
        std::ifstream text(log);
        std::stringstream out;
        out << text.rdbuf();
        p.error =
            "the openssl command failed (is it installed? scripts/deps.sh installs it): " + step + "\n" + out.str();
        return p;
      }
    }
    return p;
  }
};

/// A minimal OTLP receiver over TLS: one thread, blocking I/O on 127.0.0.1 with an ephemeral port, answering 200 to
/// every request. With `require_client_certificate` it asks for a client certificate signed by the test CA and
/// refuses the handshake without one.
class tls_receiver {
 public:
  explicit tls_receiver(const std::string& certificate = pki::get().file("server.pem"),
                        const std::string& key = pki::get().file("server.key"), bool require_client_certificate = false)
      : context_(ssl::context::tls_server), acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    context_.use_certificate_chain_file(certificate);
    context_.use_private_key_file(key, ssl::context::pem);
    if (require_client_certificate) {
      context_.load_verify_file(pki::get().file("ca.pem"));
      context_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    port_ = acceptor_.local_endpoint().port();
    listen_fd_ = acceptor_.native_handle();
    thread_ = std::thread([this] { serve(); });
  }
  tls_receiver(const tls_receiver&) = delete;
  tls_receiver& operator=(const tls_receiver&) = delete;
  ~tls_receiver() {
    stopping_.store(true);
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept(); a raw syscall, so no race on the Asio objects
    const int fd = connection_fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// From now on, closes each connection after its response, without saying so (as a receiver whose idle timeout
  /// is shorter than the exporter's pause would).
  void close_after_each_response() { close_after_each_.store(true); }
  [[nodiscard]] std::vector<std::string> bodies() const {
    const std::lock_guard lock(mutex_);
    return bodies_;
  }
  [[nodiscard]] std::vector<std::string> handshake_errors() const {
    const std::lock_guard lock(mutex_);
    return handshake_errors_;
  }
  [[nodiscard]] std::vector<std::string> server_names() const {  // SNI, per accepted handshake
    const std::lock_guard lock(mutex_);
    return server_names_;
  }
  [[nodiscard]] std::vector<std::string> client_subjects() const {  // the client certificate's subject, if any
    const std::lock_guard lock(mutex_);
    return client_subjects_;
  }
  [[nodiscard]] std::size_t connections() const {
    const std::lock_guard lock(mutex_);
    return connections_;
  }

 private:
  void serve() {
    while (!stopping_.load()) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_.load() || ec) return;
      connection_fd_.store(socket.native_handle());
      boost::beast::ssl_stream<tcp::socket&> stream(socket, context_);
      stream.handshake(ssl::stream_base::server, ec);
      {
        const std::lock_guard lock(mutex_);
        ++connections_;
        if (ec) {
          handshake_errors_.push_back(ec.message());
        } else {
          const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
          server_names_.emplace_back(sni != nullptr ? sni : "");
          std::string subject;
          if (X509* peer = SSL_get_peer_certificate(stream.native_handle())) {
            char line[256] = {};
            X509_NAME_oneline(X509_get_subject_name(peer), line, sizeof line);
            subject = line;
            X509_free(peer);
          }
          client_subjects_.push_back(subject);
        }
      }
      boost::beast::flat_buffer buffer;
      while (!ec) {
        http::request<http::string_body> request;
        http::read(stream, buffer, request, ec);
        if (ec) break;
        {
          const std::lock_guard lock(mutex_);
          bodies_.push_back(request.body());
        }
        http::response<http::string_body> response{http::status::ok, request.version()};
        response.set(http::field::content_type, "application/json");
        response.body() = "{}";
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        http::write(stream, response, ec);
        if (!request.keep_alive() || close_after_each_.load()) break;
      }
      connection_fd_.store(-1);
      socket.shutdown(tcp::socket::shutdown_both, ec);
      socket.close(ec);
    }
  }

  asio::io_context io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<int> connection_fd_{-1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> close_after_each_{false};
  mutable std::mutex mutex_;
  std::size_t connections_ = 0;
  std::vector<std::string> bodies_;
  std::vector<std::string> handshake_errors_;
  std::vector<std::string> server_names_;
  std::vector<std::string> client_subjects_;
  std::thread thread_;
};

class otlp_http_tls : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(pki::get().error, "") << "the test certificates"; }

  static arbiter::otlp_http_options options_for(std::uint16_t port, const std::string& host = "127.0.0.1") {
    arbiter::otlp_http_options o;
    o.endpoint = arbiter::http_endpoint::parse("https://" + host + ":" + std::to_string(port) + "/v1/traces");
    o.protocol = arbiter::otlp_protocol::http_json;  // the bodies are compared with the JSON encoding
    o.timeout = 5s;
    o.resource.service_name = "checkout";
    o.tls.ca_file = pki::get().file("ca.pem");
    return o;
  }

  static std::vector<arbiter::span_data> spans(int n) {
    std::vector<arbiter::span_data> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      auto& s = out[static_cast<std::size_t>(i)];
      s.name = "charge";
      s.context = {arbiter::trace_id{0x0123456789abcdefULL, static_cast<std::uint64_t>(i + 1)},
                   arbiter::span_id{static_cast<std::uint64_t>(i + 1)}, arbiter::trace_flags::sampled, false};
      s.start_time = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
      s.end_time = s.start_time + 1ms;
    }
    return out;
  }

  /// Returns the message of the std::invalid_argument that constructing an exporter with `o` throws.
  static std::string construction_error(const arbiter::otlp_http_options& o) {
    try {
      arbiter::otlp_http_exporter exporter(o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    ADD_FAILURE() << "no construction error";
    return {};
  }
};

TEST_F(otlp_http_tls, the_openssl_command_is_there) {
  // Never skipped: without openssl the TLS tests cannot make their certificates, and that is a failure.
  EXPECT_EQ(std::system((std::string(ARBITER_OPENSSL_COMMAND) + " version >/dev/null 2>&1").c_str()), 0)
      << "install openssl (scripts/deps.sh)";
}

TEST_F(otlp_http_tls, exports_over_tls_to_a_server_the_ca_signed_on_one_kept_alive_connection) {
  tls_receiver rx;
  const auto options = options_for(rx.port());
  arbiter::otlp_http_exporter exporter(options);
  const auto batch = spans(20);
  const auto first = exporter.export_spans(batch, 5s);
  ASSERT_TRUE(first.ok()) << first.error;
  const auto second = exporter.export_spans(batch, 5s);
  ASSERT_TRUE(second.ok()) << second.error;
  std::string expected;
  arbiter::encode_otlp_json(expected, batch, options.resource);
  const auto bodies = rx.bodies();
  ASSERT_EQ(bodies.size(), 2U);
  EXPECT_EQ(bodies[0], expected);
  EXPECT_EQ(bodies[1], expected);
  EXPECT_EQ(rx.connections(), 1U) << "one kept-alive TLS connection";
  EXPECT_EQ(exporter.stats().connections, 1U);
  ASSERT_EQ(rx.server_names().size(), 1U);
  EXPECT_EQ(rx.server_names()[0], "") << "no SNI for an IP address (RFC 6066)";
}

TEST_F(otlp_http_tls, a_kept_alive_tls_connection_the_receiver_closed_is_reopened_at_once) {
  tls_receiver rx;
  rx.close_after_each_response();
  arbiter::otlp_http_exporter exporter(options_for(rx.port()));
  for (int i = 0; i < 3; ++i) {
    const auto result = exporter.export_spans(spans(2), 5s);
    ASSERT_TRUE(result.ok()) << "export " << i << ": " << result.error;
  }
  EXPECT_EQ(rx.bodies().size(), 3U);
  EXPECT_EQ(rx.connections(), 3U) << "a new TLS connection for each export, no export lost";
  EXPECT_EQ(exporter.stats().connections, 3U);
}

TEST_F(otlp_http_tls, a_host_name_is_verified_and_sent_as_sni) {
  tls_receiver rx;
  arbiter::otlp_http_exporter exporter(options_for(rx.port(), "localhost"));
  const auto result = exporter.export_spans(spans(1), 5s);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(rx.server_names().size(), 1U);
  EXPECT_EQ(rx.server_names()[0], "localhost");
}

TEST_F(otlp_http_tls, gzip_over_tls) {
  tls_receiver rx;
  auto options = options_for(rx.port());
  options.compression = arbiter::http_compression::gzip;
  arbiter::otlp_http_exporter exporter(options);
  const auto result = exporter.export_spans(spans(50), 5s);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(rx.bodies().size(), 1U);
  EXPECT_EQ(rx.bodies()[0].substr(0, 2), std::string("\x1f\x8b")) << "a gzip stream";
}

TEST_F(otlp_http_tls, a_wrong_ca_fails_and_says_the_certificate_verification_failed) {
  tls_receiver rx;
  auto options = options_for(rx.port());
  options.tls.ca_file = pki::get().file("other_ca.pem");
  arbiter::otlp_http_exporter exporter(options);
  const auto result = exporter.export_spans(spans(1), 5s);
  EXPECT_EQ(result.status, arbiter::export_result::code::failure) << "retrying cannot change the certificate";
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("unable to get local issuer certificate"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("OTLP export to https://127.0.0.1:" + std::to_string(rx.port()) + "/v1/traces"),
            std::string::npos)
      << result.error;
  EXPECT_TRUE(rx.bodies().empty());
}

TEST_F(otlp_http_tls, certificates_are_verified_by_default_against_the_system_cas) {
  tls_receiver rx;
  auto options = options_for(rx.port());
  options.tls.ca_file.clear();  // the test CA is in no system store
  arbiter::otlp_http_exporter exporter(options);
  const auto result = exporter.export_spans(spans(1), 5s);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
  EXPECT_TRUE(rx.bodies().empty());
}

TEST_F(otlp_http_tls, a_certificate_for_another_name_fails_with_the_mismatch) {
  tls_receiver rx(pki::get().file("other_name.pem"), pki::get().file("other_name.key"));
  arbiter::otlp_http_exporter exporter(options_for(rx.port()));
  const auto result = exporter.export_spans(spans(1), 5s);
  EXPECT_EQ(result.status, arbiter::export_result::code::failure);
  EXPECT_NE(result.error.find("certificate verify failed"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("mismatch"), std::string::npos) << result.error;
  EXPECT_TRUE(rx.bodies().empty());
}

TEST_F(otlp_http_tls, mutual_tls_sends_the_client_certificate) {
  tls_receiver rx(pki::get().file("server.pem"), pki::get().file("server.key"), /*require_client_certificate=*/true);
  auto options = options_for(rx.port());
  options.tls.client_certificate_file = pki::get().file("client.pem");
  options.tls.client_key_file = pki::get().file("client.key");
  arbiter::otlp_http_exporter exporter(options);
  const auto result = exporter.export_spans(spans(3), 5s);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(rx.bodies().size(), 1U);
  ASSERT_EQ(rx.client_subjects().size(), 1U);
  EXPECT_NE(rx.client_subjects()[0].find("CN=arbiter test client"), std::string::npos) << rx.client_subjects()[0];
}

TEST_F(otlp_http_tls, a_server_that_requires_a_client_certificate_refuses_an_exporter_without_one) {
  tls_receiver rx(pki::get().file("server.pem"), pki::get().file("server.key"), /*require_client_certificate=*/true);
  arbiter::otlp_http_exporter exporter(options_for(rx.port()));
  const auto result = exporter.export_spans(spans(1), 5s);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("OTLP export to https://127.0.0.1:"), std::string::npos) << result.error;
  EXPECT_TRUE(rx.bodies().empty()) << "nothing got through";
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (rx.handshake_errors().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(rx.handshake_errors().size(), 1U);
  EXPECT_NE(rx.handshake_errors()[0].find("certificate"), std::string::npos) << rx.handshake_errors()[0];
}

TEST_F(otlp_http_tls, bad_certificate_files_are_construction_errors_naming_the_option_and_the_path) {
  auto options = options_for(4318);
  options.tls.ca_file = "/nonexistent/ca.pem";
  std::string what = construction_error(options);
  EXPECT_NE(what.find("otlp_http_options.tls.ca_file"), std::string::npos) << what;
  EXPECT_NE(what.find("\"/nonexistent/ca.pem\""), std::string::npos) << what;
  EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;

  const std::string junk = pki::get().file("junk.pem");
  std::ofstream(junk) << "not a certificate\n";
  options.tls.ca_file = junk;
  what = construction_error(options);
  EXPECT_NE(what.find("otlp_http_options.tls.ca_file: \"" + junk + "\" holds no PEM certificate"), std::string::npos)
      << what;

  options = options_for(4318);
  options.tls.client_certificate_file = pki::get().file("client.pem");
  options.tls.client_key_file = pki::get().file("server.key");  // a key, but not this certificate's
  what = construction_error(options);
  EXPECT_NE(what.find("otlp_http_options.tls.client_key_file"), std::string::npos) << what;
  EXPECT_NE(what.find("is not a PEM private key of the client certificate"), std::string::npos) << what;
  EXPECT_NE(what.find("key values mismatch"), std::string::npos) << what;

  options.tls.client_key_file = "/nonexistent/client.key";
  what = construction_error(options);
  EXPECT_NE(what.find("otlp_http_options.tls.client_key_file: cannot read the file \"/nonexistent/client.key\""),
            std::string::npos)
      << what;

  options.tls.client_key_file.clear();
  what = construction_error(options);
  EXPECT_NE(what.find("needs both"), std::string::npos) << what;

  // Plain http never opens the TLS files.
  options = options_for(4318);
  options.endpoint.https = false;
  options.tls.ca_file = "/nonexistent/ca.pem";
  EXPECT_NO_THROW(arbiter::otlp_http_exporter{options});
}

TEST_F(otlp_http_tls, an_encrypted_client_key_is_a_construction_error_not_a_pass_phrase_prompt) {
  auto options = options_for(4318);
  options.tls.client_certificate_file = pki::get().file("client.pem");
  options.tls.client_key_file = pki::get().file("client_encrypted.key");
  const std::string what = construction_error(options);
  EXPECT_NE(what.find("otlp_http_options.tls.client_key_file: \"" + options.tls.client_key_file +
                      "\" is not a PEM private key"),
            std::string::npos)
      << what;
}

TEST_F(otlp_http_tls, the_environment_names_the_variable_of_a_missing_file_and_the_traces_variable_wins) {
  const auto read = [](const std::map<std::string, std::string>& vars) {
    return arbiter::read_otel_environment([&vars](const char* name) -> const char* {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    });
  };
  const std::string ca = pki::get().file("ca.pem");
  const auto s = read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector"},
                       {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/general.pem"},
                       {"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", ca},
                       {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", pki::get().file("client.pem")},
                       {"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", pki::get().file("client.key")}});
  EXPECT_TRUE(s.otlp.endpoint.https);
  EXPECT_EQ(s.otlp.endpoint.port, 443);
  EXPECT_EQ(s.otlp.tls.ca_file, ca);
  EXPECT_EQ(s.otlp.tls.client_certificate_file, pki::get().file("client.pem"));
  EXPECT_EQ(s.otlp.tls.client_key_file, pki::get().file("client.key"));
  EXPECT_NO_THROW(arbiter::otlp_http_exporter{s.otlp});

  try {
    (void)read({{"OTEL_EXPORTER_OTLP_CLIENT_KEY", "/nonexistent/key.pem"}});
    ADD_FAILURE() << "accepted a missing key file";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("OTEL_EXPORTER_OTLP_CLIENT_KEY: cannot read the file \"/nonexistent/key.pem\""),
              std::string::npos)
        << what;
  }
  EXPECT_THROW((void)read({{"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", pki::get().file("client.pem")}}),
               std::invalid_argument);
}

}  // namespace
