#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "loadtest/churner.hpp"
#include "loadtest/line_pipe.hpp"
#include "loadtest/load_options.hpp"
#include "loadtest/member.hpp"
#include "loadtest/send_driver.hpp"
#include "loadtest/topology.hpp"

namespace chat::loadtest {

// The --worker role: holds this worker's share of the connections and runs
// the phases the parent starts. Talks to the parent over stdin/stdout:
//   out {"event":"ready",...}  all of its connections set up (or failed)
//   in  {"event":"go","start_us":T}  warm-up starts at T (shared clock)
//   out {"event":"progress",...}  now and then
//   out {"event":"sends_done","acked_seqs":[...]}  sending stopped and every
//       send of this worker answered; the highest seq acknowledged per stream
//       (per room in chat mode, per sender on Redis: see Topology)
//   in  {"event":"final_seqs","seqs":[...]}  the same over all workers
//   out {"event":"result","stats":{...}}  once every receiver has the final
//       seq of every stream it receives, or the drain's time is up
//   in  {"event":"exit"}  then it closes its connections and exits; until
//       then it holds them, so that the parent can look at the server first.
// End of stdin (the parent is gone) stops it at once.
class WorkerProcess final : private Member::Listener {
 public:
  explicit WorkerProcess(const LoadOptions& options);
  ~WorkerProcess();
  int run();

 private:
  void on_ready(Member& member) override;
  void on_closed(Member& member, bool was_ready) override;
  void on_send_done(Member& member) override;

  void start_more_setups();
  void settle_one();
  void give_up_setups();
  void on_parent(const nlohmann::json& message);
  void go(std::uint64_t start_us);
  void stop_sending();
  void check_drained();
  std::size_t sends_in_flight() const noexcept;
  bool receivers_caught_up() const noexcept;
  void finish();
  void abort();
  void report_progress();
  void keep_alive();
  void every(boost::asio::steady_timer& timer, double seconds, void (WorkerProcess::*action)());

  LoadOptions options_;
  Topology topology_;
  boost::asio::io_context io_{1};
  std::vector<char> read_buffer_;
  RunStats stats_;
  std::shared_ptr<SSL_CTX> tls_context_;  // --tls: shared by every connection of this worker
  RunContext context_;
  LinePipe parent_;
  std::vector<Topology::Member> members_;
  std::vector<std::unique_ptr<Member>> sessions_;
  std::vector<std::unique_ptr<Churner>> churners_;
  std::unique_ptr<SendDriver> driver_;

  std::size_t next_setup_ = 0;
  std::size_t setting_up_ = 0;
  std::size_t settled_ = 0;
  std::uint64_t setup_started_us_ = 0;
  bool ready_sent_ = false;
  bool started_ = false;
  bool finished_ = false;  // the result is out
  int exit_code_ = 0;

  std::uint64_t drain_deadline_us_ = 0;
  bool sends_done_sent_ = false;
  std::optional<std::vector<std::uint64_t>> final_seqs_;  // per stream, from the parent

  boost::asio::steady_timer setup_deadline_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::steady_timer progress_timer_;
  boost::asio::steady_timer keepalive_timer_;
  boost::asio::steady_timer watchdog_;
};

}  // namespace chat::loadtest
