// A rule naming a field the section does not have (a typo) must not compile.
#include <arbiter/config/schema.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace cf {
struct server {
  int port = 8080;
#ifdef ARBITER_EXPECT_FAIL
  static constexpr auto config_rules = arbiter::rules(arbiter::field<"prot">(arbiter::range(1, 65535)));
#else
  static constexpr auto config_rules = arbiter::rules(arbiter::field<"port">(arbiter::range(1, 65535)));
#endif
};
struct root {
  server srv;
};
}  // namespace cf

BOOST_HANA_ADAPT_STRUCT(cf::server, port);
BOOST_HANA_ADAPT_STRUCT(cf::root, srv);

static_assert(arbiter::schema_size<cf::root> == 1);

int main() {}
