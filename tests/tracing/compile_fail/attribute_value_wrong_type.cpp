// Asking an attribute_value for a type it can never hold (int rather than std::int64_t) is rejected with a sentence
// naming the types it holds; its twin asks for std::int64_t.
#include <arbiter/tracing/attribute.hpp>

#include <cstdint>

int main() {
  const arbiter::attribute_value value = 7;
#ifdef ARBITER_EXPECT_FAIL
  const auto* number = value.get_if<int>();
#else
  const auto* number = value.get_if<std::int64_t>();
#endif
  return number != nullptr && *number == 7 ? 0 : 1;
}
