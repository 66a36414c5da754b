// A default value that breaks its own constant constraint must not compile.
#include <arbiter/config/schema.hpp>

#include <cstdint>

#include <boost/hana/adapt_struct.hpp>

namespace cf {
struct server {
#ifdef ARBITER_EXPECT_FAIL
  std::uint32_t port = 0;
#else
  std::uint32_t port = 8080;
#endif
  static constexpr auto config_rules = arbiter::rules(arbiter::field<"port">(arbiter::range(1, 65535)));
};
struct root {
  server srv;
};
}  // namespace cf

BOOST_HANA_ADAPT_STRUCT(cf::server, port);
BOOST_HANA_ADAPT_STRUCT(cf::root, srv);

static_assert(arbiter::schema_size<cf::root> == 1);

int main() {}
