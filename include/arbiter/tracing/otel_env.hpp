#pragma once

/// \file
/// The standard OpenTelemetry environment variables, read as every OTel SDK reads them, with a clear error for a bad
/// value (the variable, the value, what was expected) instead of a silent default. An empty value is unset.
///
/// | variable | meaning |
/// | --- | --- |
/// | OTEL_SDK_DISABLED | `true` turns tracing off: the sampler becomes always_off and the exporter none |
/// | OTEL_TRACES_EXPORTER | `otlp` (default), `zipkin`, `console` (JSON lines on stdout), `none` |
/// | OTEL_EXPORTER_OTLP_ENDPOINT | base URL, `/v1/traces` is appended to its path (default `http://127.0.0.1:4318`) |
/// | OTEL_EXPORTER_OTLP_TRACES_ENDPOINT | full URL, used as is; wins over the base URL |
/// | OTEL_EXPORTER_OTLP_[TRACES_]HEADERS | `key=value,key2=value2`, values percent-decoded; names are HTTP tokens |
/// | OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT | milliseconds per export request (default 10000) |
/// | OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL | `http/protobuf` (default, `application/x-protobuf`) or `http/json` |
/// | OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION | `gzip` or `none` (default) |
/// | OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE | PEM file of the CAs to trust for https (default: the system's) |
/// | OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE, ..._CLIENT_KEY | PEM files for mutual TLS (both or neither) |
/// | OTEL_EXPORTER_ZIPKIN_ENDPOINT | full URL of Zipkin's span intake (default `http://localhost:9411/api/v2/spans`) |
/// | OTEL_EXPORTER_ZIPKIN_TIMEOUT | milliseconds per Zipkin export request (default 10000) |
/// | OTEL_SERVICE_NAME | `service.name`; wins over OTEL_RESOURCE_ATTRIBUTES |
/// | OTEL_RESOURCE_ATTRIBUTES | `key=value,...` resource attributes, values percent-decoded; a repeated key: the last |
/// | OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG | sampler name and ratio |
/// | OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_EXPORT_TIMEOUT | milliseconds |
/// | OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE | spans |
///
/// Nothing read here can add a line to an HTTP request: a URL is checked by http_endpoint::parse (http or https, no
/// user info, a valid host and port, a path of URL characters) and a header by detail::check_http_header (a token
/// name, a value without CR, LF, NUL or other control bytes, checked after percent-decoding); the exporter checks
/// options given to it directly the same way. Errors about headers never show a header's value.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <arbiter/detail/ascii.hpp>
#include <arbiter/detail/chrono.hpp>
#include <arbiter/detail/functional.hpp>
#include <arbiter/tracing/baggage.hpp>
#include <arbiter/tracing/batch_processor.hpp>
#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/sampler.hpp>

namespace arbiter::inline v1 {

namespace detail {

/// Names the byte `c` for an error message: "a space", "a line feed (\n, 0x0A)", "':'", "the byte 0xC3".
[[nodiscard]] inline std::string describe_byte(char c) {
  constexpr char hex[] = "0123456789ABCDEF";
  const auto byte = static_cast<unsigned char>(c);
  const std::string code = std::string("0x") + hex[byte >> 4] + hex[byte & 0xF];
  switch (c) {
    case ' ':
      return "a space";
    case '\t':
      return "a tab (\\t, 0x09)";
    case '\r':
      return "a carriage return (\\r, 0x0D)";
    case '\n':
      return "a line feed (\\n, 0x0A)";
    case '\0':
      return "a NUL (0x00)";
    default:
      break;
  }
  if (byte < 0x20 || byte == 0x7F) return "a control character (" + code + ")";
  if (byte >= 0x80) return "the byte " + code + " (not ASCII)";
  return std::string("'") + c + "'";
}

/// Returns `text` as an error message may show it on one line: control bytes escaped (\r, \n, \t, \xNN).
[[nodiscard]] inline std::string printable(std::string_view text) {
  constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      out += "\\x";
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// " at byte N" (counting from 1) for the byte at `index`.
[[nodiscard]] inline std::string at_byte(std::size_t index) { return " at byte " + std::to_string(index + 1); }

/// Returns what is wrong with `name` as an HTTP field name (an RFC 9110 token), or "" when nothing is.
[[nodiscard]] inline std::string http_field_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_tchar(name[i])) {
      return "is not an HTTP token (RFC 9110): it has " + describe_byte(name[i]) + at_byte(i);
    }
  }
  return {};
}

/// Returns what is wrong with `value` as an HTTP field value (no CR, LF, NUL or other control byte but a tab), or
/// "" when nothing is. Names the byte and its position, never the value, which may be a credential.
[[nodiscard]] inline std::string http_field_value_problem(std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if ((byte < 0x20 && value[i] != '\t') || byte == 0x7F) return "has " + describe_byte(value[i]) + at_byte(i);
  }
  return {};
}

/// Throws std::invalid_argument unless `name: value` is a header line that cannot become more than one line nor
/// change how the request is framed (Host, Content-Length, Transfer-Encoding, Connection and the like are the
/// exporter's own): the one check for headers from the environment and headers given to the exporter. `what`
/// names the source.
inline void check_http_header(std::string_view what, std::string_view name, std::string_view value,
                              std::string_view value_form = "value") {
  if (const std::string problem = http_field_name_problem(name); !problem.empty()) {
    throw std::invalid_argument(std::string(what) + ": the header name \"" + printable(name) + "\" " + problem);
  }
  constexpr std::string_view framing[] = {"host", "content-length", "transfer-encoding", "connection",      "upgrade",
                                          "te",   "trailer",        "content-type",      "content-encoding"};
  for (const std::string_view owned : framing) {
    if (iequals(name, owned)) {
      throw std::invalid_argument(std::string(what) + ": the header \"" + std::string(name) +
                                  "\" is set by the exporter itself (it frames or describes the request); remove it");
    }
  }
  if (const std::string problem = http_field_value_problem(value); !problem.empty()) {
    throw std::invalid_argument(std::string(what) + ": the " + std::string(value_form) +
                                " (not shown) of the header \"" + std::string(name) + "\" " + problem +
                                "; a header value cannot hold CR, LF, NUL or another control character");
  }
}

/// Returns what is wrong with `host` (a name, an IPv4 address, or an IPv6 address without its brackets, which is
/// how http_endpoint keeps it), or "" when nothing is.
[[nodiscard]] inline std::string http_host_problem(std::string_view host) {
  if (host.empty()) return "is empty";
  const bool ipv6 = host.find(':') != std::string_view::npos;
  for (std::size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    const bool ok = ipv6 ? (hex_value(c) >= 0 || c == ':' || c == '.')
                         : ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                            c == '.' || c == '_' || c == '~');
    if (!ok) {
      return "has " + describe_byte(c) + at_byte(i) +
             (ipv6 ? " (an IPv6 address has hex digits, ':' and '.')"
                   : " (a host name has letters, digits, '-', '.', '_' and '~')");
    }
  }
  return {};
}

/// Returns what is wrong with `target` as the request target of an HTTP/1.1 request line (an absolute path and an
/// optional query, RFC 3986 characters, percent-encoded bytes kept encoded), or "" when nothing is.
[[nodiscard]] inline std::string http_target_problem(std::string_view target) {
  if (target.empty() || target.front() != '/') return "does not start with '/'";
  constexpr std::string_view allowed = "-._~!$&'()*+,;=:@/?";
  for (std::size_t i = 0; i < target.size(); ++i) {
    const char c = target[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        allowed.find(c) != std::string_view::npos) {
      continue;
    }
    if (c == '%') {
      if (i + 2 < target.size() && hex_value(target[i + 1]) >= 0 && hex_value(target[i + 2]) >= 0) {
        i += 2;
        continue;
      }
      return "has a broken % escape" + at_byte(i) + " (a % must be followed by two hex digits)";
    }
    if (c == '#') return "has a fragment ('#')" + at_byte(i) + "; a fragment is never sent to the server, remove it";
    constexpr char hex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(c);
    return "has " + describe_byte(c) + at_byte(i) + "; percent-encode it as %" + hex[byte >> 4] + hex[byte & 0xF];
  }
  return {};
}

/// Returns `url` as an error message may show it: any user info (which may hold a password) replaced by `***`,
/// control bytes escaped.
[[nodiscard]] inline std::string url_for_message(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::size_t authority = scheme_end + 3;
    const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos && at >= authority) {
      return printable(std::string(url.substr(0, authority)) + "***" + std::string(url.substr(at)));
    }
  }
  return printable(url);
}

}  // namespace detail

/// Where an OTLP/HTTP request goes: `http://host:port/path`, or `https://...` over TLS.
struct http_endpoint {
  std::string host = "127.0.0.1";  ///< a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 4318;
  std::string target = "/v1/traces";  ///< the request target: path and query, percent-encoded
  bool https = false;                 ///< TLS (https://), with the server's certificate verified

  /// `http` or `https`.
  [[nodiscard]] std::string_view scheme() const noexcept { return https ? "https" : "http"; }

  /// Parses an `http[s]://host[:port][/path][?query]` URL (the port defaults to 80, or 443 for https): the one URL
  /// check for the OTEL_* variables, the config key and the exporter's options (see validate()). `what` names where
  /// the URL came from in the error, which shows the URL as written, its user info (a password) replaced by `***`.
  /// Refused: another scheme, user info, a missing or malformed host, a port that is not 1 to 65535, a path with a
  /// space, control or other non-URL byte (percent-encoded bytes are fine), a fragment.
  [[nodiscard]] static http_endpoint parse(std::string_view url, std::string_view what = "endpoint") {
    const auto fail = [&](const std::string& why) {
      throw std::invalid_argument(std::string(what) + ": \"" + detail::url_for_message(url) + "\" " + why);
    };
    const bool https = detail::iequals(url.substr(0, 8), "https://");
    if (!https && !detail::iequals(url.substr(0, 7), "http://")) fail("is not an http:// or https:// URL");
    const std::string_view rest = url.substr(https ? 8 : 7);
    const auto authority_end = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) {
      fail(
          "has user info (user:password@) before the host, which this exporter does not send; put credentials "
          "in a header (OTEL_EXPORTER_OTLP_HEADERS)");
    }
    std::string_view host = authority;
    std::optional<std::string_view> port_text;
    if (!authority.empty() && authority.front() == '[') {  // [IPv6]:port
      const auto close = authority.find(']');
      if (close == std::string_view::npos) fail("has an unclosed IPv6 bracket");
      host = authority.substr(1, close - 1);
      const std::string_view after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after.front() != ':') fail("has text after the IPv6 address");
        port_text = after.substr(1);
      }
      if (!host.empty() && host.find(':') == std::string_view::npos) fail("has no IPv6 address in its brackets");
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port_text = authority.substr(colon + 1);
      if (const auto inner = host.find(':'); inner != std::string_view::npos) {
        fail("has ':' at byte " + std::to_string(inner + 1) +
             " of the host; an IPv6 address goes in brackets (http://[::1]:4318)");
      }
    }
    if (host.empty()) fail("has no host");
    if (const std::string problem = detail::http_host_problem(host); !problem.empty()) {
      fail("has the host \"" + detail::printable(host) + "\", which " + problem);
    }
    http_endpoint result;
    result.host = std::string(host);
    result.https = https;
    result.port = https ? 443 : 80;
    if (port_text) {
      unsigned value = 0;
      const std::string_view text = *port_text;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
        fail("has the port \"" + detail::printable(text) + "\", which is not a number from 1 to 65535");
      }
      result.port = static_cast<std::uint16_t>(value);
    }
    if (authority_end == std::string_view::npos) {
      result.target = "/";
    } else if (rest[authority_end] == '/') {
      result.target = std::string(rest.substr(authority_end));
    } else {
      result.target = "/";  // http://host?query, http://host#fragment (appended: g++ 12 -O3 warns on "/" + string)
      result.target += rest.substr(authority_end);
    }
    if (const std::string problem = detail::http_target_problem(result.target); !problem.empty()) {
      fail("has the path \"" + detail::printable(result.target) + "\", which " + problem);
    }
    return result;
  }

  /// Parses a base URL as OTEL_EXPORTER_OTLP_ENDPOINT is written (checked as written, as parse() does) and appends
  /// `signal_path` to its path, before any query: `http://c:4318/otlp/` becomes `/otlp/v1/traces`.
  [[nodiscard]] static http_endpoint parse_base(std::string_view url, std::string_view what = "endpoint",
                                                std::string_view signal_path = "/v1/traces") {
    http_endpoint result = parse(url, what);
    const auto query = result.target.find('?');
    std::string path = result.target.substr(0, query);
    while (!path.empty() && path.back() == '/') path.pop_back();
    result.target =
        path + std::string(signal_path) + (query == std::string::npos ? std::string() : result.target.substr(query));
    return result;
  }

  /// Throws std::invalid_argument, naming `what`, unless the fields make a request line and a Host header that
  /// cannot be more than one line each: the check parse() makes, for an endpoint whose fields were set directly.
  void validate(std::string_view what = "endpoint") const {
    const auto fail = [&](const std::string& why) { throw std::invalid_argument(std::string(what) + ": " + why); };
    if (host.empty()) fail("has no host");
    if (const std::string problem = detail::http_host_problem(host); !problem.empty()) {
      fail("the host \"" + detail::printable(host) + "\" " + problem);
    }
    if (port == 0) fail("the port 0 is not a number from 1 to 65535");
    if (const std::string problem = detail::http_target_problem(target); !problem.empty()) {
      fail("the path \"" + detail::printable(target) + "\" " + problem);
    }
  }
};

/// How an OTLP/HTTP exporter encodes its requests (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL). gRPC is not offered.
enum class otlp_protocol : unsigned char {
  http_protobuf,  ///< `http/protobuf`, the specification's default: `Content-Type: application/x-protobuf`
  http_json,      ///< `http/json`: `Content-Type: application/json`
};

/// Returns the protocol's name as OTEL_EXPORTER_OTLP_PROTOCOL spells it.
[[nodiscard]] constexpr std::string_view to_string(otlp_protocol protocol) noexcept {
  return protocol == otlp_protocol::http_json ? "http/json" : "http/protobuf";
}

/// Sets the resource attribute `key` to `value`: the one merge through which OTEL_RESOURCE_ATTRIBUTES,
/// OTEL_SERVICE_NAME and the config bridge assemble a resource, so each key is there once with its latest value.
/// `service.name`, `service.version` and `deployment.environment` (or `deployment.environment.name`) set their
/// fields (their value must be a string); any other key replaces the value of an earlier attribute with that key,
/// in its place, or is appended.
inline void set_resource_attribute(otlp_resource& resource, std::string_view key, attribute_value value) {
  std::string* field = nullptr;
  if (key == "service.name") {
    field = &resource.service_name;
  } else if (key == "service.version") {
    field = &resource.service_version;
  } else if (key == "deployment.environment" || key == "deployment.environment.name") {
    field = &resource.deployment_environment;
  }
  if (field == nullptr) {
    detail::put_attribute(resource.attributes, key, std::move(value));
    return;
  }
  std::string* text = value.get_if<std::string>();
  if (text == nullptr) throw std::invalid_argument("the resource attribute " + std::string(key) + " is not a string");
  *field = std::move(*text);
}

namespace detail {

/// Returns `resource` with one attribute a key, each with the value given last, in the place it was first given
/// (for a resource assembled by hand; the three keys with fields stay, as the encoders skip them).
[[nodiscard]] inline otlp_resource with_unique_attributes(otlp_resource resource) {
  attribute_list given = std::move(resource.attributes);
  resource.attributes.clear();
  for (auto& [key, value] : given) put_attribute(resource.attributes, key, std::move(value));
  return resource;
}

}  // namespace detail

/// How an HTTP exporter compresses its request bodies (OTEL_EXPORTER_OTLP_COMPRESSION).
enum class http_compression : unsigned char {
  none,  ///< sent as encoded
  gzip,  ///< gzip (RFC 1952) with `Content-Encoding: gzip`
};

/// TLS files for an https:// endpoint, in PEM. Empty fields keep the defaults: the system's trusted CAs and no
/// client certificate. The server's certificate is always verified, its name or address included.
struct tls_options {
  std::string ca_file;                  ///< the CAs to trust instead of the system's (OTEL_EXPORTER_OTLP_CERTIFICATE)
  std::string client_certificate_file;  ///< for mutual TLS (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE); needs the key
  std::string client_key_file;          ///< its private key (OTEL_EXPORTER_OTLP_CLIENT_KEY)
};

/// Everything an OTLP/HTTP exporter needs.
struct otlp_http_options {
  http_endpoint endpoint{};
  otlp_protocol protocol = otlp_protocol::http_protobuf;     ///< the request body's encoding
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra request headers (authentication, tenant)
  std::chrono::milliseconds timeout{10000};                  ///< per request
  otlp_resource resource{};
  http_compression compression = http_compression::none;  ///< of request bodies
  tls_options tls{};                                      ///< used by https:// endpoints only
};

/// Everything a Zipkin exporter needs but the resource (that is otlp_http_options::resource, the one resource of
/// every exporter).
struct zipkin_options {
  http_endpoint endpoint{"localhost", 9411, "/api/v2/spans"};  ///< the specification's default
  std::vector<std::pair<std::string, std::string>> headers;    ///< extra request headers (authentication)
  std::chrono::milliseconds timeout{10000};                    ///< per request
};

/// What the OTEL_* variables ask for.
struct otel_settings {
  enum class exporter_kind : unsigned char { otlp, console, none, zipkin };

  bool sdk_disabled = false;
  exporter_kind exporter = exporter_kind::otlp;
  otlp_http_options otlp{};
  zipkin_options zipkin{};
  configured_sampler sampler{};
  batch_options batch{};
};

namespace detail {

[[nodiscard]] inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

[[noreturn]] inline void bad_env(std::string_view name, std::string_view value, std::string_view expected) {
  throw std::invalid_argument(std::string(name) + "=\"" + std::string(value) + "\" is not valid: expected " +
                              std::string(expected));
}

/// Parses `key=value,key2=value2` (values percent-decoded) as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES
/// are written. With `secret_values` (headers: a value may be a credential) an error names the member's position or
/// key and never shows a value.
[[nodiscard]] inline std::vector<std::pair<std::string, std::string>> parse_env_pairs(std::string_view name,
                                                                                      std::string_view value,
                                                                                      bool secret_values = false) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto fail_member = [&](std::size_t index, std::string_view member, std::string_view why) {
    if (secret_values) {
      throw std::invalid_argument(std::string(name) + ": member " + std::to_string(index) + " " + std::string(why) +
                                  " (expected comma-separated key=value pairs; the member is not shown)");
    }
    bad_env(name, value, "comma-separated key=value pairs, and \"" + std::string(member) + "\" is not one");
  };
  std::string_view rest = value;
  for (std::size_t index = 1;; ++index) {
    const auto comma = rest.find(',');
    const std::string_view member = trim_ows(rest.substr(0, comma));
    if (!member.empty()) {
      const auto eq = member.find('=');
      if (eq == std::string_view::npos) fail_member(index, member, "has no '='");
      const std::string_view key = trim_ows(member.substr(0, eq));
      if (key.empty()) fail_member(index, member, "has no name before '='");
      const std::string_view raw = trim_ows(member.substr(eq + 1));
      std::string decoded;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
          decoded.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
          i += 2;
        } else if (raw[i] == '%') {
          if (secret_values) {
            throw std::invalid_argument(std::string(name) + ": the value of \"" + printable(key) +
                                        "\" has a broken % escape" + at_byte(i) +
                                        " (a % must be followed by two hex digits; the value is not shown)");
          }
          bad_env(name, value, "percent-encoded values, and \"" + std::string(raw) + "\" has a broken % escape");
        } else {
          decoded.push_back(raw[i]);
        }
      }
      out.emplace_back(std::string(key), std::move(decoded));
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

/// Throws std::invalid_argument, naming `name` (a variable or an option) and the path, unless `path` is a file this
/// process can open for reading.
inline void check_readable_file(std::string_view name, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  int error = file == nullptr ? errno : 0;
  if (file != nullptr) {
    static_cast<void>(std::fgetc(file));  // a directory opens, but does not read (EISDIR)
    if (std::ferror(file)) error = errno;
    std::fclose(file);
  }
  if (error != 0) {
    throw std::invalid_argument(std::string(name) + ": cannot read the file \"" + printable(path) +
                                "\": " + std::generic_category().message(error));
  }
}

template <class T>
[[nodiscard]] T parse_env_unsigned(std::string_view name, std::string_view value, std::string_view unit) {
  T result{};
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
    bad_env(name, value, "a non-negative whole number of " + std::string(unit));
  }
  return result;
}

[[nodiscard]] inline std::chrono::milliseconds parse_env_millis(std::string_view name, std::string_view value) {
  const auto ms = parse_env_unsigned<std::uint32_t>(name, value, "milliseconds");
  if (ms == 0) bad_env(name, value, "a positive number of milliseconds");
  return std::chrono::milliseconds(ms);
}

}  // namespace detail

/// Reads the OTEL_* variables through `lookup` (a function from a name to a `const char*`, null when unset; by
/// default std::getenv) on top of `defaults`. Throws std::invalid_argument naming the variable and the bad value.
[[nodiscard]] inline otel_settings read_otel_environment(
    const std::function<const char*(const char*)>& lookup = [](const char* name) { return std::getenv(name); },
    otel_settings defaults = {}) {
  otel_settings s = std::move(defaults);
  // An empty (or blank) value counts as unset, as the OpenTelemetry specification says: a platform that sets
  // OTEL_SDK_DISABLED="" must not switch tracing back on, nor OTEL_SERVICE_NAME="" erase the configured name.
  const auto get = [&](const char* name) -> std::optional<std::string_view> {
    const char* value = lookup(name);
    if (value == nullptr || detail::trim_ows(value).empty()) return std::nullopt;
    return std::string_view(value);
  };
  const auto either = [&](const char* specific,
                          const char* general) -> std::optional<std::pair<const char*, std::string_view>> {
    if (auto v = get(specific)) return std::pair{specific, *v};
    if (auto v = get(general)) return std::pair{general, *v};
    return std::nullopt;
  };

  if (const auto v = get("OTEL_SDK_DISABLED")) {
    const std::string text = detail::lowercase(detail::trim_ows(*v));
    if (text == "true") {
      s.sdk_disabled = true;
    } else if (text == "false" || text.empty()) {
      s.sdk_disabled = false;
    } else {
      detail::bad_env("OTEL_SDK_DISABLED", *v, "true or false");
    }
  }

  if (const auto v = get("OTEL_TRACES_EXPORTER")) {
    const std::string text = detail::lowercase(detail::trim_ows(*v));
    if (text == "otlp") {
      s.exporter = otel_settings::exporter_kind::otlp;
    } else if (text == "console") {
      s.exporter = otel_settings::exporter_kind::console;
    } else if (text == "none") {
      s.exporter = otel_settings::exporter_kind::none;
    } else if (text == "zipkin") {
      s.exporter = otel_settings::exporter_kind::zipkin;
    } else {
      detail::bad_env("OTEL_TRACES_EXPORTER", *v, "otlp, zipkin, console or none");
    }
  }

  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")) {
    const std::string text = detail::lowercase(detail::trim_ows(v->second));
    if (text == "http/protobuf") {
      s.otlp.protocol = otlp_protocol::http_protobuf;
    } else if (text == "http/json") {
      s.otlp.protocol = otlp_protocol::http_json;
    } else {
      detail::bad_env(v->first, v->second, "http/protobuf (the default) or http/json; arbiter has no grpc exporter");
    }
  }

  if (const auto v = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    s.otlp.endpoint = http_endpoint::parse(detail::trim_ows(*v), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  } else if (const auto base = get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    s.otlp.endpoint = http_endpoint::parse_base(detail::trim_ows(*base), "OTEL_EXPORTER_OTLP_ENDPOINT");
  }

  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS")) {
    auto headers = detail::parse_env_pairs(v->first, v->second, /*secret_values=*/true);
    for (const auto& [name, value] : headers) detail::check_http_header(v->first, name, value, "decoded value");
    s.otlp.headers = std::move(headers);
  }
  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")) {
    s.otlp.timeout = detail::parse_env_millis(v->first, detail::trim_ows(v->second));
  }
  if (const auto v = either("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")) {
    const std::string text = detail::lowercase(detail::trim_ows(v->second));
    if (text == "gzip") {
      s.otlp.compression = http_compression::gzip;
    } else if (text == "none") {
      s.otlp.compression = http_compression::none;
    } else {
      detail::bad_env(v->first, v->second, "gzip or none");
    }
  }

  const auto tls_file = [&](const char* specific, const char* general, std::string& field) {
    if (const auto v = either(specific, general)) {
      field = std::string(detail::trim_ows(v->second));
      detail::check_readable_file(v->first, field);
    }
  };
  tls_file("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE", s.otlp.tls.ca_file);
  tls_file("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
           s.otlp.tls.client_certificate_file);
  tls_file("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "OTEL_EXPORTER_OTLP_CLIENT_KEY", s.otlp.tls.client_key_file);
  if (s.otlp.tls.client_certificate_file.empty() != s.otlp.tls.client_key_file.empty()) {
    throw std::invalid_argument(
        s.otlp.tls.client_key_file.empty()
            ? "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE is set without OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY; "
              "mutual TLS needs both"
            : "OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_KEY is set without OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE; "
              "mutual TLS needs both");
  }

  if (const auto v = get("OTEL_EXPORTER_ZIPKIN_ENDPOINT")) {
    s.zipkin.endpoint = http_endpoint::parse(detail::trim_ows(*v), "OTEL_EXPORTER_ZIPKIN_ENDPOINT");
  }
  if (const auto v = get("OTEL_EXPORTER_ZIPKIN_TIMEOUT")) {
    s.zipkin.timeout = detail::parse_env_millis("OTEL_EXPORTER_ZIPKIN_TIMEOUT", detail::trim_ows(*v));
  }

  if (const auto v = get("OTEL_RESOURCE_ATTRIBUTES")) {
    for (auto& [key, value] : detail::parse_env_pairs("OTEL_RESOURCE_ATTRIBUTES", *v)) {
      set_resource_attribute(s.otlp.resource, key, std::move(value));
    }
  }
  if (const auto v = get("OTEL_SERVICE_NAME")) {  // after OTEL_RESOURCE_ATTRIBUTES: it wins, as the spec says
    const std::string_view name = detail::trim_ows(*v);
    if (name.empty()) detail::bad_env("OTEL_SERVICE_NAME", *v, "a service name");
    set_resource_attribute(s.otlp.resource, "service.name", std::string(name));
  }

  if (const auto v = get("OTEL_TRACES_SAMPLER")) {
    using kind = configured_sampler::kind;
    const std::string name = detail::lowercase(detail::trim_ows(*v));
    kind k{};
    bool takes_ratio = false;
    if (name == "always_on") {
      k = kind::always_on;
    } else if (name == "always_off") {
      k = kind::always_off;
    } else if (name == "traceidratio") {
      k = kind::trace_id_ratio;
      takes_ratio = true;
    } else if (name == "parentbased_always_on") {
      k = kind::parent_based_always_on;
    } else if (name == "parentbased_always_off") {
      k = kind::parent_based_always_off;
    } else if (name == "parentbased_traceidratio") {
      k = kind::parent_based_trace_id_ratio;
      takes_ratio = true;
    } else {
      detail::bad_env("OTEL_TRACES_SAMPLER", *v,
                      "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or "
                      "parentbased_traceidratio");
    }
    double ratio = 1.0;
    if (const auto arg = get("OTEL_TRACES_SAMPLER_ARG"); arg && takes_ratio) {
      const std::string_view text = detail::trim_ows(*arg);
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), ratio);
      if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(ratio >= 0.0 && ratio <= 1.0)) {
        detail::bad_env("OTEL_TRACES_SAMPLER_ARG", *arg, "a ratio from 0 to 1 for the sampler " + name);
      }
    }
    s.sampler = configured_sampler(k, ratio);
  }

  if (const auto v = get("OTEL_BSP_SCHEDULE_DELAY")) {
    s.batch.schedule_delay = detail::parse_env_millis("OTEL_BSP_SCHEDULE_DELAY", detail::trim_ows(*v));
  }
  if (const auto v = get("OTEL_BSP_EXPORT_TIMEOUT")) {
    s.batch.export_timeout = detail::parse_env_millis("OTEL_BSP_EXPORT_TIMEOUT", detail::trim_ows(*v));
  }
  if (const auto v = get("OTEL_BSP_MAX_QUEUE_SIZE")) {
    s.batch.max_queue_size =
        detail::parse_env_unsigned<std::size_t>("OTEL_BSP_MAX_QUEUE_SIZE", detail::trim_ows(*v), "spans");
    if (s.batch.max_queue_size == 0) detail::bad_env("OTEL_BSP_MAX_QUEUE_SIZE", *v, "at least 1 span");
  }
  if (const auto v = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    s.batch.max_export_batch_size =
        detail::parse_env_unsigned<std::size_t>("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", detail::trim_ows(*v), "spans");
    if (s.batch.max_export_batch_size == 0) detail::bad_env("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *v, "at least 1 span");
  }
  if (s.batch.max_export_batch_size > s.batch.max_queue_size) {
    throw std::invalid_argument("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=" + std::to_string(s.batch.max_export_batch_size) +
                                " is above OTEL_BSP_MAX_QUEUE_SIZE=" + std::to_string(s.batch.max_queue_size) +
                                "; a batch cannot be larger than the queue");
  }
  if (s.sdk_disabled) {  // a disabled SDK traces nothing: sampled-out spans (which still propagate), no exporter
    s.sampler = configured_sampler(configured_sampler::kind::always_off);
    s.exporter = otel_settings::exporter_kind::none;
  }
  return s;
}

}  // namespace arbiter::inline v1
