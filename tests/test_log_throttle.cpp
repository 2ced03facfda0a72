// A flood of one kind of warning logs a few lines and then one count of the rest.
#include <doctest/doctest.h>

#include "server/log_throttle.hpp"

using chat::LogThrottle;
using namespace std::chrono_literals;

TEST_CASE("LogFlood: a burst is logged, the rest counted and reported with the next line after the window") {
  LogThrottle throttle(3, 10s);
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  int logged = 0;
  for (int i = 0; i < 4000; ++i) {
    const auto verdict = throttle.admit(start + std::chrono::milliseconds(i));
    if (verdict.log) {
      ++logged;
      CHECK(verdict.left_out == 0);
    }
  }
  CHECK(logged == 3);
  // The next window: the first line carries the count of those left out.
  const auto later = throttle.admit(start + 11s);
  CHECK(later.log);
  CHECK(later.left_out == 3997);
  // Reported once.
  CHECK(throttle.admit(start + 11s + 1ms).left_out == 0);
}

TEST_CASE("occasional warnings are never held back") {
  LogThrottle throttle(3, 10s);
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  for (int i = 0; i < 100; ++i) {
    const auto verdict = throttle.admit(start + std::chrono::seconds(5 * i));
    CHECK(verdict.log);
    CHECK(verdict.left_out == 0);
  }
}
