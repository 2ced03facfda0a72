#include "loadtest/coordinator.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "loadtest/clock.hpp"
#include "loadtest/room_setup.hpp"
#include "loadtest/topology.hpp"

namespace chat::loadtest {
namespace {

// Lead time of the shared start, so that every worker has the go before it.
constexpr std::uint64_t kGoLeadUs = 200'000;
// Slack over the phases' own limits before the parent gives up on its workers.
constexpr double kDeadlineSlackSeconds = 60;
// After the drain, how long the server may take to close what the churners
// closed before a socket still open counts as leaked.
constexpr auto kCloseSettleTime = std::chrono::seconds(5);
constexpr auto kCloseSettlePoll = std::chrono::milliseconds(20);

std::string random_tag() {
  std::random_device device;
  std::ostringstream out;
  out << std::hex << (device() & 0xFFFFFF);
  return out.str();
}

std::uint64_t micros(double seconds) { return static_cast<std::uint64_t>(seconds * 1e6); }

}  // namespace

Coordinator::Coordinator(LoadOptions options)
    : options_(std::move(options)),
      probe_(options_.server_pid),
      deadline_(io_),
      window_start_timer_(io_),
      window_mid_timer_(io_),
      window_end_timer_(io_),
      progress_timer_(io_) {
  if (options_.run_tag.empty()) options_.run_tag = random_tag();
  facts_.workers = options_.resolved_workers();
}

Coordinator::~Coordinator() {
  for (auto& worker : workers_) {
    worker.process.kill();
    worker.process.wait();
  }
}

int Coordinator::run() {
  started_us_ = now_us();
  facts_.server_before = probe_.sample();
  if (probe_.enabled() && !facts_.server_before) std::cerr << "chat-loadtest: cannot read /proc of the server pid\n";

  if (options_.protocol == Protocol::Chat) {
    const Topology topology(options_, facts_.workers, options_.run_tag);
    std::vector<std::string> rooms;
    for (unsigned r = 0; r < options_.rooms; ++r) rooms.push_back(topology.room_name(r));
    try {
      facts_.rooms_created_by = create_rooms(options_, rooms).created_by;
    } catch (const std::exception& error) {
      std::cerr << "chat-loadtest: " << error.what() << "\n";
      return 3;
    }
  } else {
    facts_.rooms_created_by = "none";  // a Redis channel needs no creating
  }
  if (!spawn_workers()) return 3;

  const double budget = options_.connect_timeout_s + options_.warmup_s + options_.duration_s + options_.drain_s +
                        kDeadlineSlackSeconds;
  at(started_us_ + micros(budget), nullptr, deadline_);
  if (options_.progress_s > 0) at(now_us() + micros(options_.progress_s), &Coordinator::print_progress, progress_timer_);
  io_.run();
  if (failure_.empty()) {
    sample_after_drain();
    release_workers();
  }

  for (auto& worker : workers_) {
    const int status = worker.process.wait();
    if (status != 0 && failure_.empty() && !worker.done) failure_ = "a worker exited with status " + std::to_string(status);
  }
  if (!failure_.empty()) {
    std::cerr << "chat-loadtest: " << failure_ << "\n";
    return 3;
  }
  return report();
}

bool Coordinator::spawn_workers() {
  workers_.reserve(facts_.workers);
  for (unsigned i = 0; i < facts_.workers; ++i) {
    LoadOptions worker_options = options_;
    worker_options.workers = facts_.workers;
    worker_options.worker_index = static_cast<int>(i);
    worker_options.json_out.clear();
    try {
      workers_.push_back(Worker{ChildProcess::spawn(worker_options.to_args()), nullptr, false, false, false, {}});
    } catch (const std::exception& error) {
      std::cerr << "chat-loadtest: cannot start a worker: " << error.what() << "\n";
      return false;
    }
    Worker& worker = workers_.back();
    worker.pipe = std::make_unique<LinePipe>(io_, worker.process.stdout_fd(), worker.process.stdin_fd());
  }
  for (auto& worker : workers_) {
    worker.pipe->start([this, &worker](const nlohmann::json& m) { on_worker_message(worker, m); },
                       [this, &worker] { on_worker_gone(worker); });
  }
  return true;
}

void Coordinator::on_worker_message(Worker& worker, const nlohmann::json& message) {
  const auto event = message.value("event", std::string{});
  if (event == "ready" && !worker.ready) {
    worker.ready = true;
    worker.progress["connected"] = message.value("connected", 0);
    if (++ready_ == workers_.size()) go();
  } else if (event == "progress") {
    worker.progress = message;
  } else if (event == "sends_done" && !worker.sends_done) {
    worker.sends_done = true;
    const auto acked = message.at("acked_seqs").get<std::vector<std::uint64_t>>();
    if (final_seqs_.size() < acked.size()) final_seqs_.resize(acked.size());
    for (std::size_t r = 0; r < acked.size(); ++r) final_seqs_[r] = std::max(final_seqs_[r], acked[r]);
    if (++sends_done_ == workers_.size()) {
      for (auto& w : workers_) w.pipe->write({{"event", "final_seqs"}, {"seqs", final_seqs_}});
    }
  } else if (event == "result" && !worker.done) {
    worker.done = true;
    merged_.merge(message.at("stats").get<RunStats>());
    if (++done_ == workers_.size()) io_.stop();
  }
}

void Coordinator::on_worker_gone(Worker& worker) {
  if (!worker.done) fail("a worker stopped without a result");
}

// Every result is in; the workers still hold their connections until now.
void Coordinator::release_workers() {
  for (auto& worker : workers_) worker.pipe->write({{"event", "exit"}});
}

void Coordinator::fail(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  for (auto& worker : workers_) worker.process.kill();
  io_.stop();
}

void Coordinator::go() {
  go_us_ = now_us() + kGoLeadUs;
  window_start_us_ = go_us_ + micros(options_.warmup_s);
  window_end_us_ = window_start_us_ + micros(options_.duration_s);
  // Every member is connected and no churner has started yet: the baseline
  // the server's sockets must come back to after the run.
  facts_.sockets_at_start = probe_.sockets();
  for (auto& worker : workers_) worker.pipe->write({{"event", "go"}, {"start_us", go_us_}});
  at(window_start_us_, &Coordinator::sample_window_start, window_start_timer_);
  at(window_start_us_ + (window_end_us_ - window_start_us_) / 2, &Coordinator::sample_window_mid, window_mid_timer_);
  at(window_end_us_, &Coordinator::sample_window_end, window_end_timer_);
}

void Coordinator::at(std::uint64_t when_us, void (Coordinator::*action)(), boost::asio::steady_timer& timer) {
  timer.expires_at(time_point_of(when_us));
  timer.async_wait([this, action](const boost::system::error_code& error) {
    if (error) return;
    if (action == nullptr) return fail("the run did not end in time");
    (this->*action)();
  });
}

void Coordinator::sample_window_start() { facts_.server_window_start = probe_.sample(); }
void Coordinator::sample_window_mid() { facts_.server_window_mid = probe_.sample(); }
void Coordinator::sample_window_end() { facts_.server_window_end = probe_.sample(); }

// Runs while the workers still hold their members' connections and the
// churners are gone: the server's sockets must be back at the baseline.
// Closing is asynchronous on the server's side, so it gets a bounded while.
void Coordinator::sample_after_drain() {
  facts_.server_after_drain = probe_.sample();
  if (!facts_.sockets_at_start) return;
  const auto deadline = std::chrono::steady_clock::now() + kCloseSettleTime;
  while (true) {
    facts_.sockets_after = probe_.sockets();
    if (!facts_.sockets_after || *facts_.sockets_after <= *facts_.sockets_at_start ||
        std::chrono::steady_clock::now() >= deadline) {
      return;
    }
    std::this_thread::sleep_for(kCloseSettlePoll);
  }
}

void Coordinator::print_progress() {
  std::uint64_t connected = 0, sent = 0, deliveries = 0, errors = 0, disconnects = 0;
  for (const auto& worker : workers_) {
    const auto& p = worker.progress;
    if (!p.is_object()) continue;
    connected += p.value("connected", std::uint64_t{0});
    sent += p.value("sent", std::uint64_t{0});
    deliveries += p.value("deliveries", std::uint64_t{0});
    errors += p.value("errors", std::uint64_t{0});
    disconnects += p.value("disconnects", std::uint64_t{0});
  }
  const std::uint64_t now = now_us();
  const double elapsed = static_cast<double>(now - started_us_) / 1e6;
  const double span = last_progress_us_ == 0 ? 0 : static_cast<double>(now - last_progress_us_) / 1e6;
  const char* phase = go_us_ == 0 ? "connect" : now < window_start_us_ ? "warmup" : now < window_end_us_ ? "measure" : "drain";
  std::fprintf(stderr, "[%7.1fs] %-7s connected %llu/%u  sent %llu (%.0f/s)  delivered %llu (%.0f/s)  errors %llu  lost conns %llu\n",
               elapsed, phase, static_cast<unsigned long long>(connected), options_.connections,
               static_cast<unsigned long long>(sent), span > 0 ? static_cast<double>(sent - last_sent_) / span : 0.0,
               static_cast<unsigned long long>(deliveries),
               span > 0 ? static_cast<double>(deliveries - last_deliveries_) / span : 0.0,
               static_cast<unsigned long long>(errors), static_cast<unsigned long long>(disconnects));
  last_progress_us_ = now;
  last_sent_ = sent;
  last_deliveries_ = deliveries;
  at(now + micros(options_.progress_s), &Coordinator::print_progress, progress_timer_);
}

int Coordinator::report() {
  const auto json = make_report(options_, merged_, facts_);
  if (!options_.quiet) std::cout << human_summary(json);
  std::cout << json.dump() << std::endl;
  if (!options_.json_out.empty()) {
    std::ofstream file(options_.json_out);
    file << json.dump() << "\n";
    if (!file) std::cerr << "chat-loadtest: cannot write " << options_.json_out << "\n";
  }
  return json.value("ok", false) ? 0 : 1;
}

}  // namespace chat::loadtest
