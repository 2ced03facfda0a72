#pragma once

#include <cstdint>
#include <map>

namespace chat::loadtest {

// One receiver's view of one room: checks that the room's messages arrive
// exactly once and in seq order. Seqs are per room and increase by exactly
// one, so after joining at last_seq L the receiver must see L+1, L+2, ...
// A seq above the next expected one opens a gap; a gap filled later is an
// order violation; a seq already seen (or at or below L) is a duplicate.
// What is still missing is known only against the room's final seq, which
// the caller supplies at the end (missing_through).
class RoomTracker {
 public:
  enum class Arrival { InOrder, Early, Late, Duplicate };

  explicit RoomTracker(std::uint64_t joined_at_seq = 0) noexcept;

  Arrival on_message(std::uint64_t seq);

  std::uint64_t joined_at() const noexcept { return joined_at_; }
  std::uint64_t highest() const noexcept { return highest_; }
  std::uint64_t unique() const noexcept { return unique_; }
  std::uint64_t duplicates() const noexcept { return duplicates_; }
  // Messages that arrived after a message with a higher seq.
  std::uint64_t out_of_order() const noexcept { return late_; }
  // Seqs below the highest seen that never arrived.
  std::uint64_t gaps() const noexcept { return gap_count_; }
  // Everything not received among joined_at()+1 .. final_seq.
  std::uint64_t missing_through(std::uint64_t final_seq) const noexcept;

 private:
  bool take_from_gap(std::uint64_t seq);

  std::uint64_t joined_at_;
  std::uint64_t highest_;
  std::uint64_t unique_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t gap_count_ = 0;
  std::map<std::uint64_t, std::uint64_t> gaps_;  // first -> last missing seq, inclusive
};

}  // namespace chat::loadtest
