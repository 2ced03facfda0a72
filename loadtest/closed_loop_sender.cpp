#include "loadtest/closed_loop_sender.hpp"

#include "loadtest/clock.hpp"
#include "loadtest/message_sender.hpp"

namespace chat::loadtest {

ClosedLoopSender::ClosedLoopSender(std::vector<MessageSender*> senders, unsigned window)
    : senders_(std::move(senders)), window_(window) {}

void ClosedLoopSender::start(std::uint64_t /*start_us*/) {
  running_ = true;
  for (MessageSender* sender : senders_) {
    for (unsigned i = 0; i < window_; ++i) sender->send_message(now_us());
  }
}

void ClosedLoopSender::on_send_done(MessageSender& sender) {
  if (running_) sender.send_message(now_us());
}

}  // namespace chat::loadtest
