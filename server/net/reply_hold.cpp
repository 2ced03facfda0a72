#include "server/net/reply_hold.hpp"

#include <utility>

#include "server/net/session.hpp"

namespace chat {

ReplyHold::ReplyHold(std::shared_ptr<Session> session) : session_(std::move(session)) {
  if (session_) session_->hold_reply();
}

ReplyHold::ReplyHold(const ReplyHold& other) : session_(other.session_) {
  if (session_) session_->hold_reply();
}

ReplyHold& ReplyHold::operator=(ReplyHold other) noexcept {
  std::swap(session_, other.session_);
  return *this;
}

ReplyHold::~ReplyHold() {
  if (session_) session_->release_reply();
}

}  // namespace chat
