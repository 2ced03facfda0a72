#pragma once

#include <memory>

namespace chat {

class Session;

// A reply still owed to a connection: held from the moment a request is
// admitted until its answer is queued (for a `send`, until the message has
// committed and the sender is told). A connection told to close after its
// last frame (Session::close_after) waits for every hold to go, so that each
// request it read gets its one reply first. Copying takes another hold; an
// empty (default or moved-from) hold holds nothing. Costs one atomic
// increment and one decrement on the session.
class ReplyHold {
 public:
  ReplyHold() = default;
  explicit ReplyHold(std::shared_ptr<Session> session);
  ReplyHold(const ReplyHold& other);
  ReplyHold(ReplyHold&& other) noexcept = default;
  ReplyHold& operator=(ReplyHold other) noexcept;
  ~ReplyHold();

  const std::shared_ptr<Session>& session() const noexcept { return session_; }

 private:
  std::shared_ptr<Session> session_;
};

}  // namespace chat
