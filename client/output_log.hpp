#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "client/async_signal.hpp"

namespace chat::client {

// How much of a run's output /wait can look back on.
struct OutputLogLimits {
  static constexpr std::size_t kDefaultMaxLines = 10'000;
  static constexpr std::size_t kDefaultMaxBytes = 4 * 1024 * 1024;

  std::size_t max_lines = kDefaultMaxLines;
  std::size_t max_bytes = kDefaultMaxBytes;
};

// The lines a script run has printed, for /wait. Each line satisfies one
// /wait at most, so "/wait hi" twice needs two lines with "hi". Lines printed
// before the /wait started count too, which is what makes /wait free of races
// with events that arrive early, and lets waits come in any order.
//
// Only the most recent lines are kept (a run fed by `tail -f` may last for
// months): at most max_lines lines and max_bytes bytes of text, the newest
// line always. A waiting /wait looks at each line once, as it arrives.
class OutputLog {
 public:
  explicit OutputLog(asio::any_io_executor executor, OutputLogLimits limits = {})
      : limits_(limits), changed_(std::move(executor)) {}

  void record(std::string_view line);

  // True once an unmatched line contains `text` (it is then matched); false
  // at the deadline, or once close() was called.
  asio::awaitable<bool> wait_for(std::string text, AsyncSignal::Clock::time_point deadline);

  // No line worth waiting for will come (the session is over): waits end.
  void close();

  // What is kept: lines not yet matched or dropped, and their bytes.
  std::size_t kept_lines() const noexcept { return lines_.size(); }
  std::size_t kept_bytes() const noexcept { return bytes_; }

 private:
  struct Line {
    std::string text;
    bool matched = false;
  };

  // Looks at the lines numbered `next` and later; advances `next` past them.
  bool consume_match(std::string_view text, std::uint64_t& next);
  void trim();

  OutputLogLimits limits_;
  std::deque<Line> lines_;
  std::uint64_t first_ = 0;  // the number of lines_.front() among all lines recorded
  std::size_t bytes_ = 0;
  bool closed_ = false;
  AsyncSignal changed_;
};

}  // namespace chat::client
