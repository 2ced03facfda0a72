#pragma once

#include <cstdint>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "loadtest/run_context.hpp"
#include "loadtest/send_driver.hpp"

namespace chat::loadtest {

// Sends at a fixed rate whatever the server does, the k-th message scheduled
// at start + k / rate and dealt to the senders in turn. A message is stamped
// when it is actually written; how late that is against its schedule is the
// generator's own lag, recorded apart (send_lag_us), so that a generator
// starved of CPU shows as such instead of as server latency. A slot whose
// sender is not ready goes to the next ready one; a slot no sender can take
// is skipped and counted (missed_slots), and the schedule goes on.
class OpenLoopSender final : public SendDriver {
 public:
  OpenLoopSender(boost::asio::io_context& io, std::vector<MessageSender*> senders, double rate, RunStats& stats,
                 const MeasureWindow& window);

  void start(std::uint64_t start_us) override;
  void on_send_done(MessageSender& /*sender*/) override {}
  void stop() override;

 private:
  std::uint64_t scheduled_us(std::uint64_t k) const noexcept;
  void send_due();
  MessageSender* next_ready_sender() noexcept;
  void arm();

  boost::asio::steady_timer timer_;
  std::vector<MessageSender*> senders_;
  double rate_;
  RunStats& stats_;
  const MeasureWindow& window_;
  std::uint64_t start_us_ = 0;
  std::uint64_t issued_ = 0;
  std::size_t next_sender_ = 0;
  bool running_ = false;
};

}  // namespace chat::loadtest
