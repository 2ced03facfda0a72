#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "loadtest/room_tracker.hpp"

namespace chat::loadtest {

// What every tracked receiver of one room saw, summed, plus the highest seq
// acknowledged to its senders. Sums merge across workers; loss is computed
// only once everything is merged, against the room's final seq: the highest
// seq anyone saw or was acknowledged.
struct RoomTally {
  std::uint64_t receivers = 0;
  std::uint64_t sum_joined_at = 0;
  std::uint64_t sum_highest = 0;
  std::uint64_t sum_gaps = 0;
  std::uint64_t unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t max_highest = 0;
  std::uint64_t max_acked_seq = 0;

  void add(const RoomTracker& tracker) noexcept;
  void note_acked(std::uint64_t seq) noexcept;
  void merge(const RoomTally& other) noexcept;

  std::uint64_t final_seq() const noexcept;
  // Deliveries owed to the receivers: final seq minus each one's join seq.
  std::uint64_t expected() const noexcept;
  std::uint64_t lost() const noexcept;

  bool operator==(const RoomTally&) const = default;
};

void to_json(nlohmann::json& json, const RoomTally& tally);
void from_json(const nlohmann::json& json, RoomTally& tally);

}  // namespace chat::loadtest
