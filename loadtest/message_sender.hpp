#pragma once

#include <cstdint>

namespace chat::loadtest {

// What a send driver needs of a member: whether it can send now, and a send.
// The members (MemberSession, RedisMember) are the real implementations; the
// seam lets the drivers' scheduling be checked without a server.
class MessageSender {
 public:
  virtual bool ready() const noexcept = 0;
  // Sends one stamped message to the member's room; send_us is the stamp.
  virtual void send_message(std::uint64_t send_us) = 0;

 protected:
  ~MessageSender() = default;
};

}  // namespace chat::loadtest
