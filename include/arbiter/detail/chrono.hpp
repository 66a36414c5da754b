#pragma once

/// \file
/// std::chrono's durations, time points, clocks and literals without the rest of <chrono>. With libstdc++ they
/// are all in <bits/chrono.h>; <chrono> adds the calendar and time zones (which arbiter does not use) and, in
/// C++20, <sstream>, together about 0.15 s of every translation unit. Other standard libraries get <chrono>.

#include <version>

#if defined(__GLIBCXX__) && __has_include(<bits/chrono.h>)
#include <bits/chrono.h>
#else
#include <chrono>
#endif
