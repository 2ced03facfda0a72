#include "loadtest/run_stats.hpp"

#include <algorithm>

namespace chat::loadtest {
namespace {

// One table drives JSON both ways and merging, so a new counter cannot be
// forgotten in one of them.
struct Counter {
  const char* name;
  std::uint64_t RunStats::*field;
  bool take_max;  // phases run in parallel across workers: the longest counts
};

constexpr Counter kCounters[] = {
    {"connected", &RunStats::connected, false},
    {"connect_failures", &RunStats::connect_failures, false},
    {"connect_phase_us", &RunStats::connect_phase_us, true},
    {"disconnects", &RunStats::disconnects, false},
    {"sent", &RunStats::sent, false},
    {"acked", &RunStats::acked, false},
    {"send_errors", &RunStats::send_errors, false},
    {"unanswered", &RunStats::unanswered, false},
    {"sent_measured", &RunStats::sent_measured, false},
    {"deliveries", &RunStats::deliveries, false},
    {"echo_deliveries", &RunStats::echo_deliveries, false},
    {"delivered_measured", &RunStats::delivered_measured, false},
    {"unreadable_lines", &RunStats::unreadable_lines, false},
    {"churn_cycles", &RunStats::churn_cycles, false},
    {"churn_cycles_measured", &RunStats::churn_cycles_measured, false},
    {"churn_failures", &RunStats::churn_failures, false},
    {"missed_slots", &RunStats::missed_slots, false},
};

struct HistogramField {
  const char* name;
  Histogram RunStats::*field;
};

constexpr HistogramField kHistograms[] = {
    {"latency_us", &RunStats::latency_us},
    {"ack_latency_us", &RunStats::ack_latency_us},
    {"send_lag_us", &RunStats::send_lag_us},
    {"connect_us", &RunStats::connect_us},
};

template <typename F>
std::uint64_t sum_rooms(const std::vector<RoomTally>& rooms, F f) {
  std::uint64_t total = 0;
  for (const auto& room : rooms) total += f(room);
  return total;
}

}  // namespace

void RunStats::count_error(std::string_view code) { ++errors[std::string(code)]; }

void RunStats::merge(const RunStats& other) {
  for (const auto& c : kCounters) {
    this->*c.field = c.take_max ? std::max(this->*c.field, other.*c.field) : this->*c.field + other.*c.field;
  }
  for (const auto& h : kHistograms) (this->*h.field).merge(other.*h.field);
  for (const auto& [code, n] : other.errors) errors[code] += n;
  for (const auto& [reason, n] : other.connect_errors) connect_errors[reason] += n;
  if (rooms.size() < other.rooms.size()) rooms.resize(other.rooms.size());
  for (std::size_t i = 0; i < other.rooms.size(); ++i) rooms[i].merge(other.rooms[i]);
}

std::uint64_t RunStats::expected() const noexcept {
  return sum_rooms(rooms, [](const RoomTally& r) { return r.expected(); });
}
std::uint64_t RunStats::delivered() const noexcept {
  return sum_rooms(rooms, [](const RoomTally& r) { return r.unique; });
}
std::uint64_t RunStats::lost() const noexcept {
  return sum_rooms(rooms, [](const RoomTally& r) { return r.lost(); });
}
std::uint64_t RunStats::duplicates() const noexcept {
  return sum_rooms(rooms, [](const RoomTally& r) { return r.duplicates; });
}
std::uint64_t RunStats::out_of_order() const noexcept {
  return sum_rooms(rooms, [](const RoomTally& r) { return r.out_of_order; });
}

void to_json(nlohmann::json& json, const RunStats& stats) {
  json = nlohmann::json::object();
  for (const auto& c : kCounters) json[c.name] = stats.*c.field;
  for (const auto& h : kHistograms) json[h.name] = (stats.*h.field).to_json();
  json["errors"] = stats.errors;
  json["connect_errors"] = stats.connect_errors;
  json["rooms"] = stats.rooms;
}

void from_json(const nlohmann::json& json, RunStats& stats) {
  for (const auto& c : kCounters) stats.*c.field = json.at(c.name).get<std::uint64_t>();
  for (const auto& h : kHistograms) stats.*h.field = Histogram::from_json(json.at(h.name));
  stats.errors = json.at("errors").get<std::map<std::string, std::uint64_t>>();
  stats.connect_errors = json.at("connect_errors").get<std::map<std::string, std::uint64_t>>();
  stats.rooms = json.at("rooms").get<std::vector<RoomTally>>();
}

}  // namespace chat::loadtest
