#include "client/output_log.hpp"

namespace chat::client {

void OutputLog::record(std::string_view line) {
  lines_.push_back({std::string(line), false});
  bytes_ += line.size();
  trim();
  changed_.notify();
}

// Drops the oldest lines beyond the limits, and matched lines that reached
// the front (they can satisfy no other /wait).
void OutputLog::trim() {
  const auto over = [this] { return lines_.size() > limits_.max_lines || bytes_ > limits_.max_bytes; };
  while (lines_.size() > 1 && (over() || lines_.front().matched)) {
    bytes_ -= lines_.front().text.size();
    lines_.pop_front();
    ++first_;
  }
}

bool OutputLog::consume_match(std::string_view text, std::uint64_t& next) {
  if (next < first_) next = first_;
  for (auto index = next - first_; index < lines_.size(); ++index) {
    auto& line = lines_[index];
    if (line.matched || line.text.find(text) == std::string::npos) continue;
    line.matched = true;
    bytes_ -= line.text.size();
    line.text = std::string{};  // no later /wait can use it
    next = first_ + index + 1;
    trim();
    return true;
  }
  next = first_ + lines_.size();
  return false;
}

void OutputLog::close() {
  closed_ = true;
  changed_.notify();
}

asio::awaitable<bool> OutputLog::wait_for(std::string text, AsyncSignal::Clock::time_point deadline) {
  std::uint64_t next = first_;  // from the oldest kept line: lines printed earlier count too
  for (;;) {
    if (consume_match(text, next)) co_return true;
    if (closed_ || AsyncSignal::Clock::now() >= deadline) co_return false;
    co_await changed_.wait_until(deadline);
  }
}

}  // namespace chat::client
