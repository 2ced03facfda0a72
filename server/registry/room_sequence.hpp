#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

// The highest seq of a room's messages delivered to its subscribers. Seqs
// themselves are given by the store when a message commits; this is how far
// the room's members have been told.
//
// Thread-safety: written by one thread at a time (whoever holds the room's
// ordering key or broadcast lock), read from any thread. The atomic makes the
// reads race-free; the release/acquire pairing lets a reader that sees seq N
// also see whatever the writer stored before publishing N (e.g. the persisted
// message).
class RoomSequence {
 public:
  std::int64_t delivered() const noexcept { return delivered_.load(std::memory_order_acquire); }
  void set_delivered(std::int64_t seq) noexcept { delivered_.store(seq, std::memory_order_release); }

 private:
  std::atomic<std::int64_t> delivered_{0};
};

}  // namespace chat
