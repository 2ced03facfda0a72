#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <utility>

#include <spdlog/spdlog.h>

namespace chat {

// Keeps one kind of repeated warning from flooding the log (a connection
// flood, a storm of slow consumers): at most `burst` lines per `window`; the
// others are counted, and the first line admitted after them says how many
// were left out ("... and 3990 more like it in the last 10 s"). Thread-safe.
class LogThrottle {
 public:
  static constexpr std::size_t kDefaultBurst = 10;
  static constexpr std::chrono::seconds kDefaultWindow{10};

  explicit LogThrottle(std::size_t burst = kDefaultBurst, std::chrono::steady_clock::duration window = kDefaultWindow)
      : burst_(burst), window_(window) {}

  struct Verdict {
    bool log = false;
    std::uint64_t left_out = 0;  // lines left out since the last one logged, to report with this one
  };
  Verdict admit(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  std::chrono::steady_clock::duration window() const noexcept { return window_; }

 private:
  const std::size_t burst_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t logged_in_window_ = 0;
  std::uint64_t left_out_ = 0;
};

// spdlog::warn through a throttle; the line that follows a gap carries the count of those left out.
template <class... Args>
void warn_throttled(LogThrottle& throttle, spdlog::format_string_t<Args...> format, Args&&... args) {
  const auto verdict = throttle.admit();
  if (!verdict.log) return;
  if (verdict.left_out > 0) {
    spdlog::warn("... and {} more like the next line in the last {} s", verdict.left_out,
                 std::chrono::duration_cast<std::chrono::seconds>(throttle.window()).count());
  }
  spdlog::warn(format, std::forward<Args>(args)...);
}

}  // namespace chat
