#include "loadtest/worker_process.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>

#include "common/names.hpp"
#include "common/open_file_limit.hpp"
#include "loadtest/closed_loop_sender.hpp"
#include "loadtest/clock.hpp"
#include "loadtest/open_loop_sender.hpp"

namespace chat::loadtest {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kReadBufferBytes = 256 * 1024;
constexpr double kDrainPollSeconds = 0.02;
// Well under the server's idle timeout (300 s by default).
constexpr double kKeepAliveSeconds = 60;
// Slack over the phases' own limits before the worker gives up on its parent.
constexpr double kWatchdogSlackSeconds = 120;

std::chrono::microseconds seconds(double s) {
  return std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6));
}

std::string canonical_room(const std::string& name) { return canonical_room_name(name).value_or(name); }

}  // namespace

WorkerProcess::WorkerProcess(const LoadOptions& options)
    : options_(options),
      topology_(options, options.resolved_workers(), options.run_tag),
      read_buffer_(kReadBufferBytes),
      context_{io_,
               read_buffer_,
               stats_,
               asio::ip::tcp::endpoint(asio::ip::make_address_v4(options.host), options.port),
               SourceAddresses(options.source_addrs),
               options.message_bytes,
               options.protocol,
               {},
               nullptr,
               options.transport == Transport::Ws
                   ? std::optional(asio::ip::tcp::endpoint(asio::ip::make_address_v4(options.host), options.http_port))
                   : std::nullopt},
      parent_(io_, STDIN_FILENO, STDOUT_FILENO),
      setup_deadline_(io_),
      phase_timer_(io_),
      progress_timer_(io_),
      keepalive_timer_(io_),
      watchdog_(io_) {
  for (const auto port : options.also_ports) {
    context_.other_nodes.emplace_back(asio::ip::make_address_v4(options.host), port);
  }
  if (options.tls) {
    tls_context_ = make_tls_context(options.ca_file, options.insecure);
    context_.tls = tls_context_.get();
  }
  const auto worker = static_cast<unsigned>(options.worker_index);
  stats_.rooms.resize(topology_.streams());
  members_ = topology_.members_of_worker(worker);
  sessions_.reserve(members_.size());
  std::vector<MessageSender*> senders;
  Member::Listener& listener = *this;
  for (const auto& member : members_) {
    sessions_.push_back(make_member(context_, listener));
    if (member.sender) senders.push_back(sessions_.back().get());
  }
  if (options.mode == SendMode::Closed) {
    driver_ = std::make_unique<ClosedLoopSender>(std::move(senders), options.window);
  } else {
    driver_ = std::make_unique<OpenLoopSender>(io_, std::move(senders), topology_.rate_of_worker(worker), stats_,
                                               context_.window);
  }
  const unsigned churners = topology_.churners_in_worker(worker);
  for (unsigned c = 0; c < churners; ++c) {
    churners_.push_back(std::make_unique<Churner>(
        context_, [this, worker, c](std::uint64_t cycle) { return topology_.churner_name(worker, c, cycle); },
        [this](unsigned room) { return canonical_room(topology_.room_name(room)); }, options.rooms,
        options.churn_hold_ms, worker * 7919u + c));
  }
}

WorkerProcess::~WorkerProcess() = default;

int WorkerProcess::run() {
  raise_open_file_limit();
  parent_.start([this](const nlohmann::json& message) { on_parent(message); }, [this] { abort(); });
  const double budget = options_.connect_timeout_s + options_.warmup_s + options_.duration_s + options_.drain_s +
                        kWatchdogSlackSeconds;
  watchdog_.expires_after(seconds(budget));
  watchdog_.async_wait([this](const boost::system::error_code& error) {
    if (!error) abort();
  });
  setup_started_us_ = now_us();
  setup_deadline_.expires_after(seconds(options_.connect_timeout_s));
  setup_deadline_.async_wait([this](const boost::system::error_code& error) {
    if (!error) give_up_setups();
  });
  start_more_setups();
  settle_one();  // a worker with no connections is ready at once
  if (options_.progress_s > 0) every(progress_timer_, options_.progress_s, &WorkerProcess::report_progress);
  every(keepalive_timer_, kKeepAliveSeconds, &WorkerProcess::keep_alive);
  io_.run();
  return exit_code_;
}

void WorkerProcess::every(asio::steady_timer& timer, double period_s, void (WorkerProcess::*action)()) {
  timer.expires_after(seconds(period_s));
  timer.async_wait([this, &timer, period_s, action](const boost::system::error_code& error) {
    if (error || finished_) return;
    (this->*action)();
    every(timer, period_s, action);
  });
}

void WorkerProcess::start_more_setups() {
  const auto worker = static_cast<unsigned>(options_.worker_index);
  while (setting_up_ < options_.resolved_connect_concurrency() && next_setup_ < sessions_.size()) {
    const auto& member = members_[next_setup_];
    Member::Setup setup{topology_.guest_name(worker, member.index), {}, member.room, true};
    if (member.room >= 0) {
      const auto room = static_cast<unsigned>(member.room);
      setup.room = canonical_room(topology_.room_name(room));
      setup.sender_rank = member.sender ? static_cast<int>(member.rank) : -1;
      setup.first_stream = topology_.first_stream_of_room(room);
      setup.streams = topology_.streams_per_room();
    }
    ++setting_up_;
    sessions_[next_setup_++]->start(std::move(setup));
  }
}

// Counts one session whose setup ended; the parent hears once all have.
void WorkerProcess::settle_one() {
  if (ready_sent_ || settled_ < sessions_.size()) return;
  ready_sent_ = true;
  setup_deadline_.cancel();
  stats_.connect_phase_us = now_us() - setup_started_us_;
  parent_.write({{"event", "ready"}, {"connected", stats_.connected}, {"failed", stats_.connect_failures}});
}

void WorkerProcess::give_up_setups() {
  for (auto& session : sessions_) {
    if (session->setting_up()) {
      session->close();
      ++stats_.connect_failures;
      ++stats_.connect_errors["timeout"];
      ++settled_;
    }
  }
  // Never started: the deadline came first.
  stats_.connect_failures += sessions_.size() - next_setup_;
  if (next_setup_ < sessions_.size()) stats_.connect_errors["timeout"] += sessions_.size() - next_setup_;
  settled_ += sessions_.size() - next_setup_;
  next_setup_ = sessions_.size();
  setting_up_ = 0;
  settle_one();
}

void WorkerProcess::on_ready(Member& session) {
  if (ready_sent_) return;
  ++stats_.connected;
  stats_.connect_us.record(now_us() - session.setup_started_us());
  --setting_up_;
  ++settled_;
  start_more_setups();
  settle_one();
}

void WorkerProcess::on_closed(Member& session, bool was_ready) {
  if (was_ready || ready_sent_) return;  // a loss after setup is counted by the session
  ++stats_.connect_failures;
  ++stats_.connect_errors[session.end_reason()];
  --setting_up_;
  ++settled_;
  start_more_setups();
  settle_one();
}

void WorkerProcess::on_send_done(Member& session) { driver_->on_send_done(session); }

void WorkerProcess::on_parent(const nlohmann::json& message) {
  const auto event = message.value("event", std::string{});
  if (event == "go" && ready_sent_ && !started_) return go(message.at("start_us").get<std::uint64_t>());
  if (event == "final_seqs" && !final_seqs_) final_seqs_ = message.at("seqs").get<std::vector<std::uint64_t>>();
  if (event == "exit" && finished_) io_.stop();
  if (event == "stop") abort();
}

void WorkerProcess::go(std::uint64_t start_us) {
  started_ = true;
  const std::uint64_t measure_start = start_us + static_cast<std::uint64_t>(options_.warmup_s * 1e6);
  const std::uint64_t measure_end = measure_start + static_cast<std::uint64_t>(options_.duration_s * 1e6);
  context_.window = {measure_start, measure_end};
  drain_deadline_us_ = measure_end + static_cast<std::uint64_t>(options_.drain_s * 1e6);
  phase_timer_.expires_at(time_point_of(start_us));
  phase_timer_.async_wait([this, start_us, measure_end](const boost::system::error_code& error) {
    if (error) return;
    driver_->start(start_us);
    for (auto& churner : churners_) churner->start();
    phase_timer_.expires_at(time_point_of(measure_end));
    phase_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) stop_sending();
    });
  });
}

void WorkerProcess::stop_sending() {
  driver_->stop();
  for (auto& churner : churners_) churner->stop();
  check_drained();
}

// The drain ends when every live receiver has seen the final seq of every
// stream it receives: the highest seq acknowledged to any sender of any
// worker. A worker cannot know that alone (a room's senders are spread over
// the workers, and the server delivers after it acknowledges), so it tells the
// parent once its own sends are answered and waits for the parent's answer.
// Without one in time, the drain's deadline ends it and what is missing counts
// as lost.
void WorkerProcess::check_drained() {
  if (!sends_done_sent_ && sends_in_flight() == 0) {
    sends_done_sent_ = true;
    std::vector<std::uint64_t> acked;
    for (const auto& room : stats_.rooms) acked.push_back(room.max_acked_seq);
    parent_.write({{"event", "sends_done"}, {"acked_seqs", acked}});
  }
  if ((final_seqs_ && receivers_caught_up()) || now_us() >= drain_deadline_us_) return finish();
  phase_timer_.expires_after(seconds(kDrainPollSeconds));
  phase_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) check_drained();
  });
}

// Sends still owed a reply on connections that are still open (a closed
// connection's sends will never be answered; they count as unanswered).
std::size_t WorkerProcess::sends_in_flight() const noexcept {
  std::size_t in_flight = 0;
  for (const auto& session : sessions_) {
    if (!session->closed()) in_flight += session->sends_in_flight();
  }
  return in_flight;
}

bool WorkerProcess::receivers_caught_up() const noexcept {
  for (const auto& session : sessions_) {
    if (session->closed()) continue;
    const auto trackers = session->trackers();
    for (std::size_t k = 0; k < trackers.size(); ++k) {
      const std::size_t stream = session->first_stream() + k;
      if (stream < final_seqs_->size() && trackers[k].highest() < (*final_seqs_)[stream]) return false;
    }
  }
  return true;
}

void WorkerProcess::finish() {
  for (const auto& session : sessions_) {
    const auto trackers = session->trackers();
    for (std::size_t k = 0; k < trackers.size(); ++k) {
      const std::size_t stream = session->first_stream() + k;
      if (stream < stats_.rooms.size()) stats_.rooms[stream].add(trackers[k]);
    }
    stats_.unanswered += session->sends_in_flight();
  }
  parent_.write({{"event", "result"}, {"stats", stats_}});
  finished_ = true;
  phase_timer_.cancel();
  // The connections stay open until the parent's exit.
}

void WorkerProcess::abort() {
  if (finished_) {  // the result is out: the parent has what it needs
    io_.stop();
    return;
  }
  std::cerr << "chat-loadtest worker " << options_.worker_index << ": stopped before the end of the run\n";
  finished_ = true;
  exit_code_ = 1;
  io_.stop();
}

void WorkerProcess::report_progress() {
  std::uint64_t errors = 0;
  for (const auto& [code, n] : stats_.errors) errors += n;
  parent_.write({{"event", "progress"},
                 {"connected", stats_.connected},
                 {"sent", stats_.sent},
                 {"acked", stats_.acked},
                 {"deliveries", stats_.deliveries},
                 {"errors", errors},
                 {"disconnects", stats_.disconnects},
                 {"churn_cycles", stats_.churn_cycles}});
}

void WorkerProcess::keep_alive() {
  for (auto& session : sessions_) session->ping();
}

}  // namespace chat::loadtest
