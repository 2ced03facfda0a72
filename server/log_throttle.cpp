#include "server/log_throttle.hpp"

namespace chat {

LogThrottle::Verdict LogThrottle::admit(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (now - window_start_ >= window_) {
    window_start_ = now;
    logged_in_window_ = 0;
  }
  if (logged_in_window_ >= burst_) {
    ++left_out_;
    return {};
  }
  ++logged_in_window_;
  return {true, std::exchange(left_out_, 0)};
}

}  // namespace chat
