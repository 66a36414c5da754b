// libFuzzer target for every config value parser. The first byte picks the parser; the rest is the text.
// Beyond "does not crash", it checks that whatever a parser accepts renders back to text it accepts again
// with the same value.
#include <arbiter/config/parse.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

template <class T>
void round_trip(std::string_view text, arbiter::parse_options options = {}) {
  T value{};
  if (arbiter::parse_scalar(text, value, options)) return;
  const std::string rendered = arbiter::scalar_text(value);
  T again{};
  if (arbiter::parse_scalar(rendered, again, options)) std::abort();  // rendered text must parse
  if constexpr (std::is_floating_point_v<T>) {
    if (again != value) std::abort();
  } else {
    if (!(again == value)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 12) {
    case 0:
      round_trip<std::int8_t>(text);
      break;
    case 1:
      round_trip<std::uint16_t>(text);
      break;
    case 2:
      round_trip<std::int64_t>(text);
      break;
    case 3:
      round_trip<std::uint64_t>(text);
      break;
    case 4:
      round_trip<double>(text);
      break;
    case 5:
      round_trip<float>(text);
      break;
    case 6:
      round_trip<bool>(text);
      break;
    case 7:
      round_trip<std::chrono::milliseconds>(text);
      break;
    case 8:
      round_trip<std::chrono::nanoseconds>(text);
      break;
    case 9:
      round_trip<std::chrono::seconds>(text, {1, 1});
      break;
    case 10:
      round_trip<arbiter::byte_size>(text);
      break;
    default:
      round_trip<arbiter::log_level>(text);
      break;
  }
  return 0;
}
