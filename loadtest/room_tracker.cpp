#include "loadtest/room_tracker.hpp"

#include <iterator>

namespace chat::loadtest {

RoomTracker::RoomTracker(std::uint64_t joined_at_seq) noexcept
    : joined_at_(joined_at_seq), highest_(joined_at_seq) {}

RoomTracker::Arrival RoomTracker::on_message(std::uint64_t seq) {
  if (seq == highest_ + 1) {
    highest_ = seq;
    ++unique_;
    return Arrival::InOrder;
  }
  if (seq > highest_) {
    gaps_.emplace(highest_ + 1, seq - 1);
    gap_count_ += seq - 1 - highest_;
    highest_ = seq;
    ++unique_;
    return Arrival::Early;
  }
  if (seq > joined_at_ && take_from_gap(seq)) {
    ++unique_;
    ++late_;
    return Arrival::Late;
  }
  ++duplicates_;
  return Arrival::Duplicate;
}

bool RoomTracker::take_from_gap(std::uint64_t seq) {
  auto it = gaps_.upper_bound(seq);
  if (it == gaps_.begin()) return false;
  it = std::prev(it);
  const auto [first, last] = *it;
  if (seq > last) return false;
  gaps_.erase(it);
  if (first < seq) gaps_.emplace(first, seq - 1);
  if (seq < last) gaps_.emplace(seq + 1, last);
  --gap_count_;
  return true;
}

std::uint64_t RoomTracker::missing_through(std::uint64_t final_seq) const noexcept {
  return gap_count_ + (final_seq > highest_ ? final_seq - highest_ : 0);
}

}  // namespace chat::loadtest
