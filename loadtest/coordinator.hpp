#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "loadtest/child_process.hpp"
#include "loadtest/line_pipe.hpp"
#include "loadtest/load_options.hpp"
#include "loadtest/report.hpp"
#include "loadtest/run_stats.hpp"
#include "loadtest/server_probe.hpp"

namespace chat::loadtest {

// The parent role: creates the rooms (chat mode), starts the workers (this
// executable with --worker), starts them together once all are connected,
// prints progress, tells them the streams' final seqs when all have stopped
// sending, merges their results, lets them go and reports. Returns the exit
// code: 0 the run was correct, 1 it found a problem, 3 it could not run.
class Coordinator {
 public:
  explicit Coordinator(LoadOptions options);
  ~Coordinator();
  int run();

 private:
  struct Worker {
    ChildProcess process;
    std::unique_ptr<LinePipe> pipe;
    bool ready = false;
    bool sends_done = false;
    bool done = false;
    nlohmann::json progress;
  };

  bool spawn_workers();
  void on_worker_message(Worker& worker, const nlohmann::json& message);
  void on_worker_gone(Worker& worker);
  void release_workers();
  void go();
  void at(std::uint64_t when_us, void (Coordinator::*action)(), boost::asio::steady_timer& timer);
  void sample_window_start();
  void sample_window_mid();
  void sample_window_end();
  void sample_after_drain();
  void print_progress();
  void fail(const std::string& why);
  int report();

  LoadOptions options_;
  ServerProbe probe_;
  RunFacts facts_;
  RunStats merged_;
  boost::asio::io_context io_{1};
  std::vector<Worker> workers_;
  std::size_t ready_ = 0;
  std::size_t sends_done_ = 0;
  std::size_t done_ = 0;
  std::vector<std::uint64_t> final_seqs_;  // per stream: the highest seq acknowledged by any worker
  std::string failure_;
  std::uint64_t started_us_ = 0;
  std::uint64_t go_us_ = 0;
  std::uint64_t window_start_us_ = 0;
  std::uint64_t window_end_us_ = 0;
  std::uint64_t last_progress_us_ = 0;
  std::uint64_t last_sent_ = 0;
  std::uint64_t last_deliveries_ = 0;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer window_start_timer_;
  boost::asio::steady_timer window_mid_timer_;
  boost::asio::steady_timer window_end_timer_;
  boost::asio::steady_timer progress_timer_;
};

}  // namespace chat::loadtest
