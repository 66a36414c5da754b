// A field of a type config cannot read must not compile, with a message listing what it can read.
#include <arbiter/config/schema.hpp>

#include <map>

#include <boost/hana/adapt_struct.hpp>

namespace cf {
struct root {
#ifdef ARBITER_EXPECT_FAIL
  std::map<int, int> table;
#else
  std::vector<int> table;
#endif
};
}  // namespace cf

BOOST_HANA_ADAPT_STRUCT(cf::root, table);

static_assert(arbiter::schema_size<cf::root> == 1);

int main() {}
