#pragma once

#include <cstdint>

namespace chat::loadtest {

class MessageSender;

// Decides when the worker's senders send: closed loop or open loop.
class SendDriver {
 public:
  virtual ~SendDriver() = default;
  virtual void start(std::uint64_t start_us) = 0;
  // A send of this session got its reply (ok or error).
  virtual void on_send_done(MessageSender& sender) = 0;
  virtual void stop() = 0;
};

}  // namespace chat::loadtest
