#include "client/output_log.hpp"

namespace chat::client {

void OutputLog::record(std::string_view line) {
  lines_.push_back({std::string(line), false});
  changed_.notify();
}

bool OutputLog::consume_match(std::string_view text) {
  for (auto& line : lines_) {
    if (!line.matched && line.text.find(text) != std::string::npos) {
      line.matched = true;
      return true;
    }
  }
  return false;
}

asio::awaitable<bool> OutputLog::wait_for(std::string text, AsyncSignal::Clock::time_point deadline) {
  for (;;) {
    if (consume_match(text)) co_return true;
    if (AsyncSignal::Clock::now() >= deadline) co_return false;
    co_await changed_.wait_until(deadline);
  }
}

}  // namespace chat::client
