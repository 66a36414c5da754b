// attribute_value, the owning attribute: each of its eight types held, read, copied, moved and compared, and a
// copy between two values of one type reusing the storage the target owns.
#include <arbiter/tracing/attribute.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using arbiter::attribute_type;
using arbiter::attribute_value;

/// The value held as a T; throws when it holds another type (so that no test dereferences a null get_if()).
template <class T, class V>
auto& held(V& value) {
  auto* p = value.template get_if<T>();
  if (p == nullptr) throw std::logic_error("the attribute_value holds another type");
  return *p;
}

/// One value of each type, in the order of attribute_type.
std::vector<attribute_value> one_of_each() {
  return {attribute_value(std::string(40, 's')),  // beyond the small-string buffer: owns heap storage
          attribute_value(std::int64_t{-7}),
          attribute_value(2.5),
          attribute_value(true),
          attribute_value(std::vector<std::string>{"a", std::string(40, 'b')}),
          attribute_value(std::vector<std::int64_t>{1, 2, 3}),
          attribute_value(std::vector<double>{0.5}),
          attribute_value(std::vector<bool>{true, false})};
}

/// The name of the type `value` holds, as visit() sees it.
std::string visited(const attribute_value& value) {
  return value.visit([](const auto& v) -> std::string {
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_same_v<T, std::string>) {
      return "string";
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return "int64";
    } else if constexpr (std::is_same_v<T, double>) {
      return "double";
    } else if constexpr (std::is_same_v<T, bool>) {
      return "bool";
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      return "strings";
    } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
      return "int64s";
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      return "doubles";
    } else {
      static_assert(std::is_same_v<T, std::vector<bool>>);
      return "bools";
    }
  });
}

TEST(attribute_value, holds_each_type_and_reads_it_back) {
  const auto values = one_of_each();
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(values[i].type()), i);
  }
  EXPECT_EQ(visited(values[0]), "string");
  EXPECT_EQ(visited(values[1]), "int64");
  EXPECT_EQ(visited(values[2]), "double");
  EXPECT_EQ(visited(values[3]), "bool");
  EXPECT_EQ(visited(values[4]), "strings");
  EXPECT_EQ(visited(values[5]), "int64s");
  EXPECT_EQ(visited(values[6]), "doubles");
  EXPECT_EQ(visited(values[7]), "bools");

  EXPECT_EQ(values[0].as_string(), std::string(40, 's'));
  EXPECT_EQ(values[1].as_int64(), -7);
  EXPECT_EQ(values[2].as_double(), 2.5);
  EXPECT_TRUE(values[3].as_bool());
  ASSERT_NE(values[4].get_if<std::vector<std::string>>(), nullptr);
  EXPECT_EQ(held<std::vector<std::string>>(values[4]).at(1), std::string(40, 'b'));
  EXPECT_EQ(held<std::vector<std::int64_t>>(values[5]), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(held<std::vector<double>>(values[6]), std::vector<double>{0.5});
  EXPECT_EQ(held<std::vector<bool>>(values[7]), (std::vector<bool>{true, false}));

  // Another type's accessor gives nothing, never a reinterpretation of the bytes.
  EXPECT_EQ(values[1].get_if<double>(), nullptr);
  EXPECT_EQ(values[1].as_double(), 0.0);
  EXPECT_EQ(values[0].as_int64(), 0);
  EXPECT_FALSE(values[1].as_bool());
  EXPECT_EQ(values[3].as_string(), "");
  EXPECT_EQ(values[5].get_if<std::vector<double>>(), nullptr);
}

// What must not silently become a bool (a pointer, an enum, a char) or read a null pointer as text.
enum unscoped_color { red };
static_assert(!std::is_constructible_v<attribute_value, const int*>);
static_assert(!std::is_constructible_v<attribute_value, const unsigned char*>);
static_assert(!std::is_constructible_v<attribute_value, unscoped_color>);
static_assert(!std::is_constructible_v<attribute_value, char>);
static_assert(!std::is_constructible_v<attribute_value, std::nullptr_t>);
static_assert(!std::is_constructible_v<attribute_value, std::vector<int>>);
static_assert(!std::is_constructible_v<arbiter::attribute_view, const int*>);
static_assert(!std::is_constructible_v<arbiter::attribute_view, unscoped_color>);
static_assert(!std::is_constructible_v<arbiter::attribute_view, char>);
static_assert(!std::is_constructible_v<arbiter::attribute_view, std::nullptr_t>);
static_assert(std::is_constructible_v<attribute_value, signed char> && std::is_constructible_v<attribute_value, bool>);

TEST(attribute_value, converts_as_the_view_does) {
  EXPECT_EQ(attribute_value().type(), attribute_type::string);
  EXPECT_EQ(attribute_value().as_string(), "");
  EXPECT_EQ(attribute_value(7).type(), attribute_type::int64);
  EXPECT_EQ(attribute_value(std::uint8_t{200}).as_int64(), 200);
  EXPECT_EQ(attribute_value(std::numeric_limits<std::uint64_t>::max()).as_int64(),
            std::numeric_limits<std::int64_t>::max());  // saturates
  EXPECT_EQ(attribute_value(0.25F).type(), attribute_type::float64);
  EXPECT_EQ(attribute_value("GET").type(), attribute_type::string);  // a string, not the bool a pointer decays to
  EXPECT_EQ(attribute_value(std::string_view("v")).as_string(), "v");
  EXPECT_EQ(attribute_value(false).type(), attribute_type::boolean);
}

TEST(attribute_value, equal_only_with_the_same_type_and_value) {
  EXPECT_EQ(attribute_value(1), attribute_value(std::int64_t{1}));
  EXPECT_NE(attribute_value(1), attribute_value(1.0));
  EXPECT_NE(attribute_value(1), attribute_value(true));
  EXPECT_NE(attribute_value("1"), attribute_value(1));
  EXPECT_NE(attribute_value(std::vector<std::int64_t>{1}), attribute_value(std::vector<double>{1.0}));
  EXPECT_NE(attribute_value(std::vector<bool>{true}), attribute_value(std::vector<bool>{false}));
  const attribute_value nan = std::nan("");
  EXPECT_NE(nan, nan);
  const auto values = one_of_each();
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = 0; j < values.size(); ++j) EXPECT_EQ(values[i] == values[j], i == j) << i << " " << j;
  }
}

TEST(attribute_value, copies_and_moves_between_every_pair_of_types) {
  const auto values = one_of_each();
  for (std::size_t from = 0; from < values.size(); ++from) {
    for (std::size_t to = 0; to < values.size(); ++to) {
      attribute_value target = values[to];
      target = values[from];  // copy assignment, across types or within one
      EXPECT_EQ(target, values[from]) << from << " onto " << to;
      EXPECT_EQ(values[to], one_of_each()[to]) << "the source of the first copy is unchanged";

      attribute_value moved_into = values[to];
      attribute_value source = values[from];
      moved_into = std::move(source);
      EXPECT_EQ(moved_into, values[from]) << from << " moved onto " << to;
      source = values[to];  // a moved-from value can be assigned again
      EXPECT_EQ(source, values[to]);
    }
    attribute_value copy(values[from]);
    EXPECT_EQ(copy, values[from]);
    attribute_value moved(std::move(copy));
    EXPECT_EQ(moved, values[from]);
  }
}

TEST(attribute_value, assigning_to_itself_keeps_the_value) {
  for (const auto& original : one_of_each()) {
    attribute_value value = original;
    attribute_value& alias = value;  // through a reference, as a container's element may be assigned to itself
    value = std::as_const(alias);
    EXPECT_EQ(value, original);
    value = std::move(alias);
    EXPECT_EQ(value, original);
  }
}

TEST(attribute_value, a_copy_of_the_same_type_reuses_the_storage_it_owns) {
  attribute_value slot = std::string(100, 'x');
  attribute_value other = std::string(50, 'y');
  const char* storage = held<std::string>(other).data();
  slot = std::move(other);  // move: takes the other's storage
  EXPECT_EQ(held<std::string>(slot).data(), storage);
  const attribute_value shorter = std::string(30, 'z');
  slot = shorter;  // copy of the same type: assigns into the string it has
  EXPECT_EQ(slot.as_string(), std::string(30, 'z'));
  EXPECT_EQ(held<std::string>(slot).data(), storage);

  attribute_value list = std::vector<std::int64_t>(64, 1);
  const std::int64_t* items = held<std::vector<std::int64_t>>(list).data();
  const attribute_value fewer = std::vector<std::int64_t>{4, 5};
  list = fewer;
  EXPECT_EQ(held<std::vector<std::int64_t>>(list), (std::vector<std::int64_t>{4, 5}));
  EXPECT_EQ(held<std::vector<std::int64_t>>(list).data(), items);
}

TEST(attribute_value, get_if_gives_a_mutable_value) {
  attribute_value value = std::vector<double>{1.0};
  held<std::vector<double>>(value).push_back(2.0);
  EXPECT_EQ(value, attribute_value(std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(value.get_if<std::string>(), nullptr);
}

}  // namespace
