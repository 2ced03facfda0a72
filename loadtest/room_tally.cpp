#include "loadtest/room_tally.hpp"

#include <algorithm>

namespace chat::loadtest {

void RoomTally::add(const RoomTracker& tracker) noexcept {
  ++receivers;
  sum_joined_at += tracker.joined_at();
  sum_highest += tracker.highest();
  sum_gaps += tracker.gaps();
  unique += tracker.unique();
  duplicates += tracker.duplicates();
  out_of_order += tracker.out_of_order();
  max_highest = std::max(max_highest, tracker.highest());
}

void RoomTally::note_acked(std::uint64_t seq) noexcept { max_acked_seq = std::max(max_acked_seq, seq); }

void RoomTally::merge(const RoomTally& other) noexcept {
  receivers += other.receivers;
  sum_joined_at += other.sum_joined_at;
  sum_highest += other.sum_highest;
  sum_gaps += other.sum_gaps;
  unique += other.unique;
  duplicates += other.duplicates;
  out_of_order += other.out_of_order;
  max_highest = std::max(max_highest, other.max_highest);
  max_acked_seq = std::max(max_acked_seq, other.max_acked_seq);
}

std::uint64_t RoomTally::final_seq() const noexcept { return std::max(max_highest, max_acked_seq); }

std::uint64_t RoomTally::expected() const noexcept {
  const std::uint64_t owed = receivers * final_seq();
  return owed > sum_joined_at ? owed - sum_joined_at : 0;
}

// Per receiver: the gaps below its highest seq, plus everything above it up
// to the final seq (highest <= final for every receiver by construction).
std::uint64_t RoomTally::lost() const noexcept { return sum_gaps + receivers * final_seq() - sum_highest; }

void to_json(nlohmann::json& json, const RoomTally& t) {
  json = nlohmann::json::array({t.receivers, t.sum_joined_at, t.sum_highest, t.sum_gaps, t.unique, t.duplicates,
                                t.out_of_order, t.max_highest, t.max_acked_seq});
}

void from_json(const nlohmann::json& json, RoomTally& t) {
  std::uint64_t* fields[] = {&t.receivers, &t.sum_joined_at, &t.sum_highest, &t.sum_gaps,   &t.unique,
                             &t.duplicates, &t.out_of_order,  &t.max_highest, &t.max_acked_seq};
  std::size_t i = 0;
  for (std::uint64_t* field : fields) *field = json.at(i++).get<std::uint64_t>();
}

}  // namespace chat::loadtest
