#pragma once

/// \file
/// Typed span attributes: string, int64, double, bool and arrays of each. A non-owning view for the call,
/// an owning value for storage.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <arbiter/version.hpp>

namespace arbiter::inline v1 {

/// The type an attribute holds.
enum class attribute_type : unsigned char {
  string,
  int64,
  float64,
  boolean,
  string_array,
  int64_array,
  float64_array,
  boolean_array
};

/// A non-owning attribute value. Integers become int64 (unsigned values above INT64_MAX saturate),
/// floating point becomes double, and anything convertible to std::string_view is a string:
/// `span.set_attribute("http.method", "GET")` stores a string, never the bool a `const char*` would decay to.
/// Arrays are contiguous ranges of std::string_view, std::string, std::int64_t, double or bool
/// (`std::vector<std::int64_t>`, `std::array<std::string_view, 3>`, ...), viewed, not copied.
class attribute_view {
 public:
  /// A bool only: a pointer, an enum or a char does not become one.
  template <std::same_as<bool> B>
  constexpr attribute_view(B value) noexcept : type_(attribute_type::boolean), bool_(value) {}  // NOLINT
  attribute_view(char) = delete;            // a character is not a number: pass a string
  attribute_view(std::nullptr_t) = delete;  // no text

  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) constexpr attribute_view(T value) noexcept
      : type_(attribute_type::int64), int_(saturate(value)) {}  // NOLINT

  template <std::floating_point T>
  constexpr attribute_view(T value) noexcept
      : type_(attribute_type::float64), double_(static_cast<double>(value)) {}  // NOLINT

  template <class T>
  requires(std::convertible_to<const T&, std::string_view> &&
           !std::same_as<std::decay_t<T>, std::nullptr_t>) constexpr attribute_view(const T& value) noexcept
      : type_(attribute_type::string), string_(value) {}  // NOLINT

  template <class R>
  requires(!std::convertible_to<const R&, std::string_view> &&
           std::constructible_from<std::span<const std::string_view>,
                                   const R&>) constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::string_array),
        array_{std::span<const std::string_view>(values).data(), std::span<const std::string_view>(values).size(),
               false} {}

  template <class R>
  requires(!std::convertible_to<const R&, std::string_view> &&
           std::constructible_from<std::span<const std::string>,
                                   const R&>) constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::string_array),
        array_{std::span<const std::string>(values).data(), std::span<const std::string>(values).size(), true} {}

  template <class R>
  requires std::constructible_from < std::span<const std::int64_t>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::int64_array),
  array_{std::span<const std::int64_t>(values).data(), std::span<const std::int64_t>(values).size(), false} {}

  template <class R>
  requires std::constructible_from < std::span<const double>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::float64_array),
  array_{std::span<const double>(values).data(), std::span<const double>(values).size(), false} {}

  template <class R>
  requires std::constructible_from < std::span<const bool>,
  const R& > constexpr attribute_view(const R& values) noexcept  // NOLINT
      : type_(attribute_type::boolean_array),
  array_{std::span<const bool>(values).data(), std::span<const bool>(values).size(), false} {}

  [[nodiscard]] constexpr attribute_type type() const noexcept { return type_; }
  [[nodiscard]] constexpr std::string_view as_string() const noexcept {
    return type_ == attribute_type::string ? string_ : std::string_view();
  }
  [[nodiscard]] constexpr std::int64_t as_int64() const noexcept { return type_ == attribute_type::int64 ? int_ : 0; }
  [[nodiscard]] constexpr double as_double() const noexcept { return type_ == attribute_type::float64 ? double_ : 0.0; }
  [[nodiscard]] constexpr bool as_bool() const noexcept { return type_ == attribute_type::boolean && bool_; }
  [[nodiscard]] std::span<const std::int64_t> as_int64_array() const noexcept {
    if (type_ != attribute_type::int64_array) return {};
    return {static_cast<const std::int64_t*>(array_.data), array_.size};
  }
  [[nodiscard]] std::span<const double> as_double_array() const noexcept {
    if (type_ != attribute_type::float64_array) return {};
    return {static_cast<const double*>(array_.data), array_.size};
  }
  [[nodiscard]] std::span<const bool> as_bool_array() const noexcept {
    if (type_ != attribute_type::boolean_array) return {};
    return {static_cast<const bool*>(array_.data), array_.size};
  }

  /// Returns the number of elements of a string array (held as string_views or as strings).
  [[nodiscard]] constexpr std::size_t string_array_size() const noexcept {
    return type_ == attribute_type::string_array ? array_.size : 0;
  }
  /// Returns element `i` of a string array.
  [[nodiscard]] std::string_view string_array_at(std::size_t i) const noexcept {
    if (array_.strings) return static_cast<const std::string*>(array_.data)[i];
    return static_cast<const std::string_view*>(array_.data)[i];
  }

 private:
  template <class T>
  static constexpr std::int64_t saturate(T value) noexcept {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      return value > max ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(value);
    } else {
      return static_cast<std::int64_t>(value);
    }
  }

  struct array_ref {
    const void* data;
    std::size_t size;
    bool strings;  ///< elements are std::string rather than std::string_view
  };

  attribute_type type_;
  union {
    std::string_view string_;
    std::int64_t int_;
    double double_;
    bool bool_;
    array_ref array_;
  };
};

/// A key with a non-owning value, as passed to trace() and span starts.
struct attribute {
  std::string_view key;
  attribute_view value;
};

/// Makes an attribute: `trace(tracer, "load", fn, attr("user.id", id))`.
[[nodiscard]] constexpr attribute attr(std::string_view key, attribute_view value) noexcept { return {key, value}; }

/// An owning attribute value, as recorders and exporters store it: one of the eight types of attribute_type.
///
/// Read it as the view is read (`type()`, `as_string()`, `as_int64()`, ...), or by the stored type
/// (`get_if<std::vector<double>>()`, `visit(f)` with `f` taking each of the eight as `const T&`). It is a tagged
/// union rather than a std::variant: its copy, move and destruction are five plain functions, where a variant of
/// eight types instantiates its visitation tables for each (about 800 functions in a service that traces).
class attribute_value {
 public:
  /// The eight types it may hold, in the order of attribute_type.
  template <class T>
  static constexpr bool holds_type =
      std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
      std::is_same_v<T, bool> || std::is_same_v<T, std::vector<std::string>> ||
      std::is_same_v<T, std::vector<std::int64_t>> || std::is_same_v<T, std::vector<double>> ||
      std::is_same_v<T, std::vector<bool>>;

  /// An empty string.
  attribute_value() noexcept : type_(attribute_type::string) { new (&string_) std::string(); }

  attribute_value(std::string text) noexcept : type_(attribute_type::string) {  // NOLINT
    new (&string_) std::string(std::move(text));
  }
  attribute_value(std::string_view text) : attribute_value(std::string(text)) {}  // NOLINT
  attribute_value(const char* text) : attribute_value(std::string(text)) {}       // NOLINT
  /// A bool only: a pointer, an enum or a char does not become one.
  template <std::same_as<bool> B>
  attribute_value(B value) noexcept : type_(attribute_type::boolean), bool_(value) {}  // NOLINT
  attribute_value(char) = delete;            // a character is not a number: pass a string
  attribute_value(std::nullptr_t) = delete;  // no text
  /// Integers become int64 (unsigned values above INT64_MAX saturate), as in attribute_view.
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) attribute_value(T value)
  noexcept  // NOLINT
      : type_(attribute_type::int64), int_(attribute_view(value).as_int64()) {}
  template <std::floating_point T>
  attribute_value(T value) noexcept : type_(attribute_type::float64), double_(static_cast<double>(value)) {}  // NOLINT
  attribute_value(std::vector<std::string> values) noexcept : type_(attribute_type::string_array) {           // NOLINT
    new (&strings_) std::vector<std::string>(std::move(values));
  }
  attribute_value(std::vector<std::int64_t> values) noexcept : type_(attribute_type::int64_array) {  // NOLINT
    new (&int64s_) std::vector<std::int64_t>(std::move(values));
  }
  attribute_value(std::vector<double> values) noexcept : type_(attribute_type::float64_array) {  // NOLINT
    new (&doubles_) std::vector<double>(std::move(values));
  }
  attribute_value(std::vector<bool> values) noexcept : type_(attribute_type::boolean_array) {  // NOLINT
    new (&bools_) std::vector<bool>(std::move(values));
  }

  attribute_value(const attribute_value& other) : type_(other.type_) { construct_from(other); }
  attribute_value(attribute_value&& other) noexcept : type_(other.type_) { construct_from(std::move(other)); }
  ~attribute_value() { destroy(); }

  /// Reuses the storage this value owns when both hold a string, or both an array of int64 or of double. If the
  /// copy throws (std::bad_alloc), this value is left as it was.
  attribute_value& operator=(const attribute_value& other) {
    if (this == &other) return *this;
    if (type_ == other.type_) {
      switch (type_) {  // assignments that allocate before they change anything
        case attribute_type::string:
          string_ = other.string_;
          return *this;
        case attribute_type::int64_array:
          int64s_ = other.int64s_;
          return *this;
        case attribute_type::float64_array:
          doubles_ = other.doubles_;
          return *this;
        default:  // the others could stop halfway (strings) or free first (std::vector<bool>): copy, then move
          break;
      }
    }
    attribute_value copy(other);
    return *this = std::move(copy);
  }
  attribute_value& operator=(attribute_value&& other) noexcept {
    if (this == &other) return *this;
    destroy();
    type_ = other.type_;
    construct_from(std::move(other));
    return *this;
  }

  [[nodiscard]] attribute_type type() const noexcept { return type_; }

  /// The stored value as a T (one of the eight types), or nullptr when it holds another type.
  template <class T>
  [[nodiscard]] const T* get_if() const noexcept {
    static_assert(holds_type<T>,
                  "====> arbiter: an attribute_value holds std::string, std::int64_t, double, bool or a std::vector "
                  "of one of them; ask for one of those types.");
    if constexpr (std::is_same_v<T, std::string>) {
      return type_ == attribute_type::string ? &string_ : nullptr;
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return type_ == attribute_type::int64 ? &int_ : nullptr;
    } else if constexpr (std::is_same_v<T, double>) {
      return type_ == attribute_type::float64 ? &double_ : nullptr;
    } else if constexpr (std::is_same_v<T, bool>) {
      return type_ == attribute_type::boolean ? &bool_ : nullptr;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      return type_ == attribute_type::string_array ? &strings_ : nullptr;
    } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
      return type_ == attribute_type::int64_array ? &int64s_ : nullptr;
    } else if constexpr (std::is_same_v<T, std::vector<double>>) {
      return type_ == attribute_type::float64_array ? &doubles_ : nullptr;
    } else {
      return type_ == attribute_type::boolean_array ? &bools_ : nullptr;
    }
  }
  template <class T>
  [[nodiscard]] T* get_if() noexcept {
    return const_cast<T*>(std::as_const(*this).template get_if<T>());
  }

  /// As in attribute_view: the value when it has that type, else an empty or zero one.
  [[nodiscard]] std::string_view as_string() const noexcept {
    return type_ == attribute_type::string ? std::string_view(string_) : std::string_view();
  }
  [[nodiscard]] std::int64_t as_int64() const noexcept { return type_ == attribute_type::int64 ? int_ : 0; }
  [[nodiscard]] double as_double() const noexcept { return type_ == attribute_type::float64 ? double_ : 0.0; }
  [[nodiscard]] bool as_bool() const noexcept { return type_ == attribute_type::boolean && bool_; }

  /// Calls `f` with the stored value as `const T&`, T its type; `f` returns the same type for all eight.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (type_) {
      case attribute_type::string:
        return std::forward<F>(f)(string_);
      case attribute_type::int64:
        return std::forward<F>(f)(int_);
      case attribute_type::float64:
        return std::forward<F>(f)(double_);
      case attribute_type::boolean:
        return std::forward<F>(f)(bool_);
      case attribute_type::string_array:
        return std::forward<F>(f)(strings_);
      case attribute_type::int64_array:
        return std::forward<F>(f)(int64s_);
      case attribute_type::float64_array:
        return std::forward<F>(f)(doubles_);
      case attribute_type::boolean_array:
        break;
    }
    return std::forward<F>(f)(bools_);
  }

  /// Equal when both hold the same type and equal values (a NaN double is not equal to itself).
  friend bool operator==(const attribute_value& a, const attribute_value& b) noexcept {
    if (a.type_ != b.type_) return false;
    switch (a.type_) {
      case attribute_type::string:
        return a.string_ == b.string_;
      case attribute_type::int64:
        return a.int_ == b.int_;
      case attribute_type::float64:
        return a.double_ == b.double_;
      case attribute_type::boolean:
        return a.bool_ == b.bool_;
      case attribute_type::string_array:
        return a.strings_ == b.strings_;
      case attribute_type::int64_array:
        return a.int64s_ == b.int64s_;
      case attribute_type::float64_array:
        return a.doubles_ == b.doubles_;
      case attribute_type::boolean_array:
        break;
    }
    return a.bools_ == b.bools_;
  }

 private:
  // Constructs the member of type_ (already set) from `other`'s, copying or moving.
  template <class Other>
  void construct_from(Other&& other) {
    switch (type_) {
      case attribute_type::string:
        new (&string_) std::string(std::forward<Other>(other).string_);
        return;
      case attribute_type::int64:
        int_ = other.int_;
        return;
      case attribute_type::float64:
        double_ = other.double_;
        return;
      case attribute_type::boolean:
        bool_ = other.bool_;
        return;
      case attribute_type::string_array:
        new (&strings_) std::vector<std::string>(std::forward<Other>(other).strings_);
        return;
      case attribute_type::int64_array:
        new (&int64s_) std::vector<std::int64_t>(std::forward<Other>(other).int64s_);
        return;
      case attribute_type::float64_array:
        new (&doubles_) std::vector<double>(std::forward<Other>(other).doubles_);
        return;
      case attribute_type::boolean_array:
        new (&bools_) std::vector<bool>(std::forward<Other>(other).bools_);
        return;
    }
  }
  void destroy() noexcept {
    if (type_ == attribute_type::int64 || type_ == attribute_type::float64 || type_ == attribute_type::boolean) return;
    destroy_owned();
  }
  // Out of line: inlined into a loop that relocates values (std::vector growing), g++ 12 at -O3 takes one union
  // member's deallocation and another's destructor for a use after free (-Wuse-after-free, in -Wall) in the
  // caller's code. The scalars above never get here; the others free memory, which costs more than the call.
  [[gnu::noinline]] void destroy_owned() noexcept {
    using string = std::string;
    using strings = std::vector<std::string>;
    using int64s = std::vector<std::int64_t>;
    using doubles = std::vector<double>;
    using bools = std::vector<bool>;
    switch (type_) {
      case attribute_type::string:
        string_.~string();
        return;
      case attribute_type::string_array:
        strings_.~strings();
        return;
      case attribute_type::int64_array:
        int64s_.~int64s();
        return;
      case attribute_type::float64_array:
        doubles_.~doubles();
        return;
      case attribute_type::boolean_array:
        bools_.~bools();
        return;
      default:
        return;
    }
  }

  attribute_type type_;
  union {
    std::string string_;
    std::int64_t int_;
    double double_;
    bool bool_;
    std::vector<std::string> strings_;
    std::vector<std::int64_t> int64s_;
    std::vector<double> doubles_;
    std::vector<bool> bools_;
  };
};

/// Copies a view into an owning value.
template <std::convertible_to<attribute_view> View>
[[nodiscard]] attribute_value to_value(const View& given) {
  const attribute_view view(given);
  switch (view.type()) {
    case attribute_type::string:
      return std::string(view.as_string());
    case attribute_type::int64:
      return view.as_int64();
    case attribute_type::float64:
      return view.as_double();
    case attribute_type::boolean:
      return view.as_bool();
    case attribute_type::string_array: {
      std::vector<std::string> values;
      values.reserve(view.string_array_size());
      for (std::size_t i = 0; i < view.string_array_size(); ++i) values.emplace_back(view.string_array_at(i));
      return values;
    }
    case attribute_type::int64_array:
      return std::vector<std::int64_t>(view.as_int64_array().begin(), view.as_int64_array().end());
    case attribute_type::float64_array:
      return std::vector<double>(view.as_double_array().begin(), view.as_double_array().end());
    case attribute_type::boolean_array:
      return std::vector<bool>(view.as_bool_array().begin(), view.as_bool_array().end());
  }
  return std::string();
}

/// Copies a view into `slot`, reusing the storage `slot` already owns when the types match.
template <std::convertible_to<attribute_view> View>
void assign_value(attribute_value& slot, const View& given) {
  const attribute_view view(given);
  switch (view.type()) {
    case attribute_type::string:
      if (auto* text = slot.get_if<std::string>()) {
        text->assign(view.as_string());
        return;
      }
      break;
    case attribute_type::int64:
      slot = view.as_int64();
      return;
    case attribute_type::float64:
      slot = view.as_double();
      return;
    case attribute_type::boolean:
      slot = view.as_bool();
      return;
    default:
      break;
  }
  slot = to_value(view);
}

}  // namespace arbiter::inline v1
