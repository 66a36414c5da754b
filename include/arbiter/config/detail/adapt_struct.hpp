#pragma once

/// \file
/// ARBITER_DETAIL_ADAPT_STRUCT(TYPE, members...): BOOST_HANA_ADAPT_STRUCT with a lazy body. Hana's macro defines
/// `accessors_impl<TYPE>::apply()` as a plain (non-template) function, so every translation unit that includes the
/// adapted struct builds its tuple of (name, member pointer) pairs, whether or not it reflects the struct: about
/// 0.25 s of g++ -O0 for orchestrator_config. Here `apply` is a template with a defaulted parameter, so the tuple
/// is built only where the struct is reflected. The result is the same hana::Struct (same names, same order).
/// It also describes the members without Hana (detail::section_members, see detail/members.hpp), which the
/// schema walks use: cheaper to compile than Hana's tuple of pairs.
/// Call it in the global namespace, with at most 16 members.

#include <boost/hana/adapt_struct.hpp>

#include <arbiter/config/detail/members.hpp>

// clang-format off
#define ARBITER_DETAIL_ADAPT_NAME(T, i, m) BOOST_HANA_PP_STRINGIZE(m)
#define ARBITER_DETAIL_ADAPT_PAIR(T, i, m)                                                                    \
  ::boost::hana::make_pair(::boost::hana::struct_detail::prepare_member_name<i, member_names>(),              \
                           ::boost::hana::struct_detail::member_ptr<decltype(&T::m), &T::m>{})
#define ARBITER_DETAIL_MEMBER(T, i, m) ::arbiter::detail::member_pair<::arbiter::detail::member_key<BOOST_HANA_PP_STRINGIZE(m)>, ::arbiter::detail::member_ref<&T::m>>
#define ARBITER_DETAIL_ADAPT_EACH_1(F, T, m1) F(T, 0, m1)
#define ARBITER_DETAIL_ADAPT_EACH_2(F, T, m1, m2) F(T, 0, m1), F(T, 1, m2)
#define ARBITER_DETAIL_ADAPT_EACH_3(F, T, m1, m2, m3) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3)
#define ARBITER_DETAIL_ADAPT_EACH_4(F, T, m1, m2, m3, m4) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4)
#define ARBITER_DETAIL_ADAPT_EACH_5(F, T, m1, m2, m3, m4, m5) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5)
#define ARBITER_DETAIL_ADAPT_EACH_6(F, T, m1, m2, m3, m4, m5, m6) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6)
#define ARBITER_DETAIL_ADAPT_EACH_7(F, T, m1, m2, m3, m4, m5, m6, m7) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7)
#define ARBITER_DETAIL_ADAPT_EACH_8(F, T, m1, m2, m3, m4, m5, m6, m7, m8) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8)
#define ARBITER_DETAIL_ADAPT_EACH_9(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9)
#define ARBITER_DETAIL_ADAPT_EACH_10(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10)
#define ARBITER_DETAIL_ADAPT_EACH_11(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11)
#define ARBITER_DETAIL_ADAPT_EACH_12(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11), F(T, 11, m12)
#define ARBITER_DETAIL_ADAPT_EACH_13(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11), F(T, 11, m12), F(T, 12, m13)
#define ARBITER_DETAIL_ADAPT_EACH_14(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11), F(T, 11, m12), F(T, 12, m13), F(T, 13, m14)
#define ARBITER_DETAIL_ADAPT_EACH_15(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11), F(T, 11, m12), F(T, 12, m13), F(T, 13, m14), F(T, 14, m15)
#define ARBITER_DETAIL_ADAPT_EACH_16(F, T, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16) F(T, 0, m1), F(T, 1, m2), F(T, 2, m3), F(T, 3, m4), F(T, 4, m5), F(T, 5, m6), F(T, 6, m7), F(T, 7, m8), F(T, 8, m9), F(T, 9, m10), F(T, 10, m11), F(T, 11, m12), F(T, 12, m13), F(T, 13, m14), F(T, 14, m15), F(T, 15, m16)
#define ARBITER_DETAIL_ADAPT_EACH_I(N, F, T, ...) ARBITER_DETAIL_ADAPT_EACH_##N(F, T, __VA_ARGS__)
#define ARBITER_DETAIL_ADAPT_EACH(N, F, T, ...) ARBITER_DETAIL_ADAPT_EACH_I(N, F, T, __VA_ARGS__)
// clang-format on

#define ARBITER_DETAIL_ADAPT_STRUCT(TYPE, ...)                                                                      \
  namespace boost::hana {                                                                                           \
  template <>                                                                                                       \
  struct accessors_impl<TYPE> {                                                                                     \
    template <class Adapted = TYPE>                                                                                 \
    static constexpr auto apply() {                                                                                 \
      struct member_names {                                                                                         \
        static constexpr auto get() {                                                                               \
          return ::boost::hana::make_tuple(ARBITER_DETAIL_ADAPT_EACH(                                               \
              BOOST_HANA_PP_NARG(__VA_ARGS__), ARBITER_DETAIL_ADAPT_NAME, Adapted, __VA_ARGS__));                   \
        }                                                                                                           \
      };                                                                                                            \
      return ::boost::hana::make_tuple(ARBITER_DETAIL_ADAPT_EACH(BOOST_HANA_PP_NARG(__VA_ARGS__),                   \
                                                                 ARBITER_DETAIL_ADAPT_PAIR, Adapted, __VA_ARGS__)); \
    }                                                                                                               \
  };                                                                                                                \
  }                                                                                                                 \
  template <>                                                                                                       \
  struct arbiter::detail::section_members<TYPE> {                                                                   \
    using type = ::arbiter::detail::type_list<ARBITER_DETAIL_ADAPT_EACH(BOOST_HANA_PP_NARG(__VA_ARGS__),           \
                                                                        ARBITER_DETAIL_MEMBER, TYPE, __VA_ARGS__)>; \
  };                                                                                                                \
  static_assert(true, "force the usage of a trailing semicolon")
