#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "client/async_signal.hpp"

namespace chat::client {

// The lines a script run has printed, for /wait. Each line satisfies one
// /wait at most, so "/wait hi" twice needs two lines with "hi". Lines printed
// before the /wait started count too, which is what makes /wait free of races
// with events that arrive early, and lets waits come in any order.
class OutputLog {
 public:
  explicit OutputLog(asio::any_io_executor executor) : changed_(std::move(executor)) {}

  void record(std::string_view line);

  // True once an unmatched line contains `text` (it is then matched); false at the deadline.
  asio::awaitable<bool> wait_for(std::string text, AsyncSignal::Clock::time_point deadline);

 private:
  bool consume_match(std::string_view text);

  struct Line {
    std::string text;
    bool matched = false;
  };
  std::vector<Line> lines_;
  AsyncSignal changed_;
};

}  // namespace chat::client
