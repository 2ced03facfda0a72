#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "loadtest/load_options.hpp"
#include "loadtest/run_stats.hpp"
#include "loadtest/server_probe.hpp"

namespace chat::loadtest {

// What the parent knows about the run besides the workers' statistics.
struct RunFacts {
  unsigned workers = 1;
  std::string rooms_created_by;
  std::optional<ServerSample> server_before;        // before any connection
  std::optional<ServerSample> server_window_start;  // measured window opens
  std::optional<ServerSample> server_window_mid;    // half-way through it
  std::optional<ServerSample> server_window_end;    // closes, connections still held
  std::optional<ServerSample> server_after_drain;   // churners gone, members still connected
  // The server's sockets when sending starts (members connected, no churner
  // yet) and after the drain, once the churners' closes have settled.
  std::optional<std::uint64_t> sockets_at_start;
  std::optional<std::uint64_t> sockets_after;
};

// The one JSON line of a run (keys documented in docs/loadtest.md). "ok" is
// true when every connection was set up and kept, every message reached
// every member exactly once and in order, every send was answered with ok,
// and nothing went wrong on the way (no error of any code, no failed churn
// cycle, no unreadable line); "problems" says why when it is false.
nlohmann::json make_report(const LoadOptions& options, const RunStats& stats, const RunFacts& facts);

// The same for a person: a few aligned lines.
std::string human_summary(const nlohmann::json& report);

}  // namespace chat::loadtest
