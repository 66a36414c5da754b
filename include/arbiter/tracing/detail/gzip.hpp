#pragma once

/// \file
/// Gzip for export bodies, through zlib. Opt-in: only the exporter headers include it (link ZLIB::ZLIB).

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include <zlib.h>

namespace arbiter::inline v1::detail {

/// Compresses request bodies to gzip (RFC 1952) with one z_stream and one output buffer, both reused from body to
/// body, so a steady exporter allocates nothing here. Not movable (zlib's state points back at its z_stream): hold
/// it where it stays.
class gzip_compressor {
 public:
  /// Level 1 by default: on BM_otlp_http_export/json_gzip it sends 2.1x the spans a second of zlib's default level
  /// 6, for bodies 15 % larger (both about a seventh of the JSON): the exporter's CPU is the service's.
  explicit gzip_compressor(int level = Z_BEST_SPEED) noexcept : level_(level) {}
  gzip_compressor(const gzip_compressor&) = delete;
  gzip_compressor& operator=(const gzip_compressor&) = delete;
  ~gzip_compressor() {
    if (ready_) deflateEnd(&stream_);
  }

  /// Compresses `in` into the buffer that output() returns. Returns "" or what went wrong (zlib's message).
  [[nodiscard]] std::string compress(std::string_view in) {
    if (in.size() > std::numeric_limits<uInt>::max()) return "the body is too large for one gzip call";
    if (!ready_) {
      // 15 + 16: the largest window, with a gzip header and trailer instead of zlib's.
      const int rc = deflateInit2(&stream_, level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
      if (rc != Z_OK) return problem("deflateInit2", rc);
      ready_ = true;
    } else if (const int rc = deflateReset(&stream_); rc != Z_OK) {
      return problem("deflateReset", rc);
    }
    const uLong bound = deflateBound(&stream_, static_cast<uLong>(in.size()));
    out_.resize(bound);  // zero-fills only what grew: far cheaper than deflate
    // zlib's API takes a non-const input pointer but never writes through it.
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));  // NOLINT
    stream_.avail_in = static_cast<uInt>(in.size());
    stream_.next_out = reinterpret_cast<Bytef*>(out_.data());
    stream_.avail_out = static_cast<uInt>(std::min<uLong>(bound, std::numeric_limits<uInt>::max()));
    const int rc = deflate(&stream_, Z_FINISH);
    if (rc != Z_STREAM_END) return problem("deflate", rc);
    out_.resize(static_cast<std::size_t>(stream_.total_out));
    return {};
  }

  /// The last compressed body. The caller may move it out for a while (into a request) and must move it back, so
  /// its capacity is reused.
  [[nodiscard]] std::string& output() noexcept { return out_; }

 private:
  [[nodiscard]] std::string problem(const char* call, int rc) const {
    std::string why = std::string("gzip: ") + call + " failed (" + std::to_string(rc) + ")";
    if (stream_.msg != nullptr) why += std::string(": ") + stream_.msg;
    return why;
  }

  int level_;
  bool ready_ = false;
  z_stream stream_{};
  std::string out_;
};

}  // namespace arbiter::inline v1::detail
