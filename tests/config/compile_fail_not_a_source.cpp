// A config source without `read<Schema>(source_output&)` is rejected with a message that names the member.
#include <arbiter/config/config.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace cf {
struct root {
  int port = 8080;
};

struct almost_source {
#ifndef ARBITER_EXPECT_FAIL
  template <class Schema>
  void read(arbiter::source_output& /*out*/) const {}
#endif
};
}  // namespace cf

BOOST_HANA_ADAPT_STRUCT(cf::root, port);

static_assert(arbiter::assert_config_source<cf::almost_source, cf::root>());

int main() {}
