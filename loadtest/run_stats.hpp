#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "loadtest/histogram.hpp"
#include "loadtest/room_tally.hpp"

namespace chat::loadtest {

// Everything one worker measured; the parent merges the workers' copies.
// "measured" counters and the latency histograms cover only messages stamped
// inside the measured window; the correctness tallies cover the whole run.
struct RunStats {
  std::uint64_t connected = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t connect_phase_us = 0;  // longest setup phase among workers
  std::uint64_t disconnects = 0;       // connections lost after setup
  std::uint64_t sent = 0;              // send requests written
  std::uint64_t acked = 0;             // ok replies to them
  std::uint64_t send_errors = 0;       // error replies to them
  std::uint64_t unanswered = 0;        // no reply by the end of the drain
  std::uint64_t sent_measured = 0;     // acked sends stamped in the window
  std::uint64_t deliveries = 0;        // msg events at tracked receivers, duplicates and echoes included
  std::uint64_t echo_deliveries = 0;   // a sender's own messages back to it, duplicates excluded
  std::uint64_t delivered_measured = 0;  // to other members, stamped in the window, duplicates excluded
  std::uint64_t unreadable_lines = 0;  // lines that were not a JSON object
  std::uint64_t churn_cycles = 0;
  std::uint64_t churn_cycles_measured = 0;
  std::uint64_t churn_failures = 0;
  std::uint64_t missed_slots = 0;      // open loop: send slots no sender was ready for

  Histogram latency_us;      // send -> msg event at each other member
  Histogram ack_latency_us;  // send -> ok reply at the sender
  Histogram send_lag_us;     // open loop: actual minus scheduled send time
  Histogram connect_us;      // TCP connect start -> logged in and joined

  std::map<std::string, std::uint64_t> errors;  // error code -> count (replies and events)
  // Why connections failed during setup -> count (Member::end_reason, or "timeout").
  std::map<std::string, std::uint64_t> connect_errors;
  std::vector<RoomTally> rooms;  // one per stream: per room (chat) or per sender (Redis), see Topology

  void count_error(std::string_view code);
  void merge(const RunStats& other);

  std::uint64_t expected() const noexcept;
  std::uint64_t delivered() const noexcept;  // unique deliveries
  std::uint64_t lost() const noexcept;
  std::uint64_t duplicates() const noexcept;
  std::uint64_t out_of_order() const noexcept;
};

void to_json(nlohmann::json& json, const RunStats& stats);
void from_json(const nlohmann::json& json, RunStats& stats);

}  // namespace chat::loadtest
