#pragma once

#include <vector>

#include "loadtest/send_driver.hpp"

namespace chat::loadtest {

// Every sender keeps `window` messages in flight: a reply releases the next
// send. Measures the throughput the server sustains; latency then includes
// the queueing the window itself creates.
class ClosedLoopSender final : public SendDriver {
 public:
  ClosedLoopSender(std::vector<MessageSender*> senders, unsigned window);

  void start(std::uint64_t start_us) override;
  void on_send_done(MessageSender& sender) override;
  void stop() override { running_ = false; }

 private:
  std::vector<MessageSender*> senders_;
  unsigned window_;
  bool running_ = false;
};

}  // namespace chat::loadtest
