#pragma once

/// \file
/// Readable type names for recorded exceptions.

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>

#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define ARBITER_HAS_CXXABI 1
#else
#define ARBITER_HAS_CXXABI 0
#endif

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Returns the demangled name of a type ("std::runtime_error"), or the raw name where demangling is unavailable.
[[nodiscard]] inline std::string type_name(const std::type_info& type) {
#if ARBITER_HAS_CXXABI
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                    std::free);
  if (status == 0 && name) return name.get();
#endif
  return type.name();
}

}  // namespace arbiter::inline v1::detail
