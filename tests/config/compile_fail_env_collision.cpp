// Two fields whose paths map to one environment variable (a_b.c and a.b_c -> X_A_B_C) must not compile.
#include <arbiter/config/env_source.hpp>

#include <boost/hana/adapt_struct.hpp>

namespace cf {
struct a_b_section {
  int c = 1;
};
struct a_section {
#ifdef ARBITER_EXPECT_FAIL
  int b_c = 2;
#else
  int b_d = 2;
#endif
};
struct root {
  a_b_section a_b;
  a_section a;
};
}  // namespace cf

BOOST_HANA_ADAPT_STRUCT(cf::a_b_section, c);
#ifdef ARBITER_EXPECT_FAIL
BOOST_HANA_ADAPT_STRUCT(cf::a_section, b_c);
#else
BOOST_HANA_ADAPT_STRUCT(cf::a_section, b_d);
#endif
BOOST_HANA_ADAPT_STRUCT(cf::root, a_b, a);

void read_environment(arbiter::source_output& out) { arbiter::env_source<"X">{}.read<cf::root>(out); }

int main() {}
