#include "loadtest/closed_loop_sender.hpp"

#include "loadtest/clock.hpp"
#include "loadtest/member_session.hpp"

namespace chat::loadtest {

ClosedLoopSender::ClosedLoopSender(std::vector<MemberSession*> senders, unsigned window)
    : senders_(std::move(senders)), window_(window) {}

void ClosedLoopSender::start(std::uint64_t /*start_us*/) {
  running_ = true;
  for (MemberSession* sender : senders_) {
    for (unsigned i = 0; i < window_; ++i) sender->send_message(now_us());
  }
}

void ClosedLoopSender::on_send_done(MemberSession& session) {
  if (running_) session.send_message(now_us());
}

}  // namespace chat::loadtest
