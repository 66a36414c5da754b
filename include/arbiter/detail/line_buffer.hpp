#pragma once

/// \file
/// A text buffer that keeps its first N bytes on the stack: a log line is built in it without touching the heap.
/// It stands in for fmt::memory_buffer, whose header (<fmt/format.h>) costs twice what <fmt/core.h> does to
/// compile in every translation unit that includes a logger.

#include <cstddef>
#include <cstring>
#include <memory>

#include <arbiter/version.hpp>

namespace arbiter::inline v1::detail {

/// Bytes with `N` of them inline; grows onto the heap (doubling) past that. The append interface the JSON and
/// logfmt writers take (push_back, append(first, last)), plus value_type so std::back_inserter works.
template <std::size_t N = 512>
class line_buffer {
 public:
  using value_type = char;

  line_buffer() = default;
  line_buffer(const line_buffer&) = delete;
  line_buffer& operator=(const line_buffer&) = delete;

  void push_back(char c) {
    if (size_ == capacity_) grow(size_ + 1);
    data_[size_++] = c;
  }
  void append(const char* first, const char* last) {
    const auto n = static_cast<std::size_t>(last - first);
    if (n == 0) return;
    if (capacity_ - size_ < n) grow(size_ + n);
    std::memcpy(data_ + size_, first, n);
    size_ += n;
  }

  [[nodiscard]] char* data() noexcept { return data_; }
  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  void grow(std::size_t needed) {
    std::size_t capacity = capacity_ * 2;
    if (capacity < needed) capacity = needed;
    auto bigger = std::make_unique<char[]>(capacity);
    std::memcpy(bigger.get(), data_, size_);
    heap_ = std::move(bigger);
    data_ = heap_.get();
    capacity_ = capacity;
  }

  char inline_[N];
  std::unique_ptr<char[]> heap_;
  char* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = N;
};

}  // namespace arbiter::inline v1::detail
