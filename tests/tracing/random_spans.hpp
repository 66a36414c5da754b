#pragma once

// Random span data for the encoders' reference tests (OTLP JSON against a reference writer, OTLP protobuf against
// protobuf's own parser): text that needs escaping and UTF-8 of every length (or bytes that are not UTF-8), the
// doubles and integers at the edges of their encodings, times on both sides of the epoch and of 2^53 ns, and
// events, links and attributes of every kind. span_shape turns on what only one encoding has to get right.

#include <arbiter/tracing/otlp_json.hpp>
#include <arbiter/tracing/span_data.hpp>

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace arbiter_test {

/// What the generated spans may hold beyond what every encoder is checked on.
struct span_shape {
  bool valid_utf8 = true;                  ///< false: text holds stray bytes that are not UTF-8
  std::size_t long_text = 5000;            ///< a long text (one in 20) has up to this many more characters
  bool trace_states = false;               ///< spans and links carry a W3C tracestate
  bool remote_parents = false;             ///< a parent may be remote
  bool long_lists_and_empty_keys = false;  ///< a list of 200 items (one in 10), an attribute with an empty key
};

class span_generator {
 public:
  explicit span_generator(std::uint64_t seed, span_shape shape = {}) : rng_(seed), shape_(shape) {}

  std::uint64_t u64() { return rng_(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }
  bool chance(std::size_t one_in) { return below(one_in) == 0; }

  /// Plain text mixed with characters JSON must escape, control characters and UTF-8 of every length; sometimes
  /// empty, sometimes long (past a writer's growth step, or a length of two varint bytes or more).
  std::string text() {
    std::size_t length = below(24);
    if (chance(8)) length = 0;
    if (chance(20)) length = 100 + below(shape_.long_text);
    static constexpr std::array<std::string_view, 16> pieces{"a",
                                                             "Z",
                                                             "0",
                                                             " ",
                                                             "/",
                                                             "\"",
                                                             "\\",
                                                             "\n",
                                                             "\t",
                                                             "\x01",
                                                             "\x1f",
                                                             "\x7f",
                                                             "\xc3\xa9",
                                                             "\xe6\x97\xa5",
                                                             "\xf0\x9f\x98\x80",
                                                             "plain words"};
    std::string s;
    while (s.size() < length) {
      if (!shape_.valid_utf8 && chance(6)) {
        s.push_back(static_cast<char>(0x80 + below(128)));  // a stray continuation or lead byte
      } else if (chance(10)) {
        s.push_back(static_cast<char>(below(0x20)));  // any control character
      } else if (chance(3)) {
        s += pieces[below(pieces.size())];
      } else {
        s.push_back(static_cast<char>('a' + below(26)));
      }
    }
    return s;
  }

  double real() {
    switch (below(10)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return chance(2) ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
      case 2:
        return chance(2) ? 0.0 : -0.0;
      case 3:
        return std::numeric_limits<double>::denorm_min() * static_cast<double>(below(1000) + 1);
      case 4:
        return chance(2) ? std::numeric_limits<double>::max() : std::numeric_limits<double>::lowest();
      case 5: {
        double d;
        const std::uint64_t bits = u64();
        std::memcpy(&d, &bits, sizeof d);
        return std::isfinite(d) ? d : 1.0;
      }
      default:
        return (static_cast<double>(u64() % 2'000'000) - 1'000'000.0) / 1024.0;
    }
  }

  std::int64_t integer() {
    switch (below(6)) {
      case 0:
        return std::numeric_limits<std::int64_t>::min();
      case 1:
        return std::numeric_limits<std::int64_t>::max();
      case 2:
        return static_cast<std::int64_t>(below(300)) - 150;
      default:
        return static_cast<std::int64_t>(u64() >> below(64));  // every varint length
    }
  }

  arbiter::attribute_value value() {
    const std::size_t n = shape_.long_lists_and_empty_keys && chance(10) ? 200 : below(4);
    switch (below(8)) {
      case 0:
        return text();
      case 1:
        return integer();
      case 2:
        return real();
      case 3:
        return chance(2);
      case 4:
        return list(n, [this] { return text(); });
      case 5:
        return list(n, [this] { return integer(); });
      case 6:
        return list(n, [this] { return real(); });
      default: {
        std::vector<bool> v;
        for (std::size_t i = 0; i < n; ++i) v.push_back(chance(2));
        return v;
      }
    }
  }

  arbiter::attribute_list attributes(std::size_t max) {
    arbiter::attribute_list out;
    const std::size_t n = below(max + 1);
    for (std::size_t i = 0; i < n; ++i) {
      out.emplace_back(shape_.long_lists_and_empty_keys && chance(10) ? std::string() : text(), value());
    }
    return out;
  }

  /// Times before the epoch (written as 0), below 2^53 ns (exact as a double), and above it up to INT64_MAX.
  std::chrono::system_clock::time_point time() {
    std::int64_t ns = 0;
    switch (below(5)) {
      case 0:
        ns = -static_cast<std::int64_t>(below(1'000'000'000));
        break;
      case 1:
        ns = static_cast<std::int64_t>(u64() % (std::uint64_t{1} << 53));
        break;
      case 2:
        ns = std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(below(10));
        break;
      default:
        ns = 1'700'000'000'000'000'000LL + static_cast<std::int64_t>(u64() % 100'000'000'000'000'000ULL);
    }
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns)));
  }

  arbiter::span_context context() {
    return {arbiter::trace_id{u64(), u64() | 1}, arbiter::span_id{u64() | 1}, static_cast<std::uint8_t>(below(256)),
            chance(2)};
  }

  std::string trace_state() {
    if (!shape_.trace_states || chance(2)) return {};
    return "vendor" + std::to_string(below(100)) + "=" + text();
  }

  arbiter::span_data span() {
    arbiter::span_data s;
    s.name = text();
    s.context = context();
    if (!chance(3)) s.parent_span_id = arbiter::span_id{u64() | 1};
    if (shape_.remote_parents) s.parent_remote = s.parent_span_id.valid() && chance(2);
    s.kind = static_cast<arbiter::span_kind>(below(5));
    s.start_time = time();
    s.end_time = time();
    s.attributes = attributes(6);
    for (std::size_t i = below(3); i > 0; --i) {
      s.events.push_back({text(), time(), attributes(3), chance(3) ? static_cast<std::uint32_t>(below(5)) : 0});
    }
    for (std::size_t i = below(3); i > 0; --i) {
      s.links.push_back(
          {context(), attributes(2), chance(3) ? static_cast<std::uint32_t>(below(5)) : 0, trace_state()});
    }
    s.status = static_cast<arbiter::span_status>(below(3));
    if (!chance(3)) s.status_description = text();
    s.dropped_attributes = chance(3) ? static_cast<std::uint32_t>(u64()) : 0;
    s.dropped_events = chance(3) ? static_cast<std::uint32_t>(below(10)) : 0;
    s.dropped_links = chance(3) ? std::numeric_limits<std::uint32_t>::max() : 0;
    s.trace_state = trace_state();
    return s;
  }

  std::vector<arbiter::span_data> spans(std::size_t n) {
    std::vector<arbiter::span_data> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(span());
    return out;
  }

  /// A resource and scope, with an attribute that a resource field shadows half of the time.
  arbiter::otlp_resource resource() {
    arbiter::otlp_resource r;
    r.service_name = text();
    if (chance(2)) r.service_version = text();
    if (chance(2)) r.deployment_environment = text();
    r.attributes = attributes(3);
    if (chance(2)) r.attributes.emplace_back("service.name", std::string("shadowed"));
    r.scope_name = text();
    if (chance(2)) r.scope_version = text();
    return r;
  }

 private:
  template <class Make>
  static std::vector<std::invoke_result_t<Make&>> list(std::size_t n, Make make) {
    std::vector<std::invoke_result_t<Make&>> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(make());
    return v;
  }

  std::mt19937_64 rng_;
  span_shape shape_;
};

}  // namespace arbiter_test
