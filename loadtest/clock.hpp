#pragma once

#include <chrono>
#include <cstdint>

namespace chat::loadtest {

// Microseconds on the monotonic clock. CLOCK_MONOTONIC is system-wide on
// Linux, so stamps taken by one worker process can be compared by another.
inline std::uint64_t now_us() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

inline std::chrono::steady_clock::time_point time_point_of(std::uint64_t us) noexcept {
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(us));
}

}  // namespace chat::loadtest
