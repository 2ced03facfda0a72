#include "loadtest/open_loop_sender.hpp"

#include <cmath>

#include "loadtest/clock.hpp"
#include "loadtest/message_sender.hpp"

namespace chat::loadtest {

OpenLoopSender::OpenLoopSender(boost::asio::io_context& io, std::vector<MessageSender*> senders, double rate,
                               RunStats& stats, const MeasureWindow& window)
    : timer_(io), senders_(std::move(senders)), rate_(rate), stats_(stats), window_(window) {}

std::uint64_t OpenLoopSender::scheduled_us(std::uint64_t k) const noexcept {
  return start_us_ + static_cast<std::uint64_t>(std::llround(static_cast<double>(k) * 1e6 / rate_));
}

void OpenLoopSender::start(std::uint64_t start_us) {
  if (senders_.empty() || rate_ <= 0) return;
  running_ = true;
  start_us_ = start_us;
  issued_ = 0;
  arm();
}

void OpenLoopSender::stop() {
  running_ = false;
  timer_.cancel();
}

void OpenLoopSender::arm() {
  timer_.expires_at(time_point_of(scheduled_us(issued_)));
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error && running_) send_due();
  });
}

MessageSender* OpenLoopSender::next_ready_sender() noexcept {
  for (std::size_t tried = 0; tried < senders_.size(); ++tried) {
    MessageSender* sender = senders_[next_sender_];
    next_sender_ = (next_sender_ + 1) % senders_.size();
    if (sender->ready()) return sender;
  }
  return nullptr;
}

void OpenLoopSender::send_due() {
  const std::uint64_t now = now_us();
  // Everything whose time has come goes now: a late generator catches up
  // rather than silently lowering the rate. A moment without any ready
  // sender (all of them lost, say) costs its slots, never the rest of the run.
  while (scheduled_us(issued_) <= now) {
    const std::uint64_t scheduled = scheduled_us(issued_++);
    MessageSender* sender = next_ready_sender();
    if (sender == nullptr) {
      ++stats_.missed_slots;
      continue;
    }
    sender->send_message(now);
    if (window_.contains(scheduled)) stats_.send_lag_us.record(now - scheduled);
  }
  arm();
}

}  // namespace chat::loadtest
