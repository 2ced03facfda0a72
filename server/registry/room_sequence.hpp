#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

// A room's message sequence numbers: the last one assigned to a message and
// the highest one delivered to subscribers.
//
// Thread-safety: mutated by one thread at a time (whoever holds the room's
// ordering key), read from any thread. Atomics make the reads race-free; the
// release/acquire pairing lets a reader that sees seq N also see whatever the
// writer stored before publishing N (e.g. the persisted message).
class RoomSequence {
 public:
  // Returns last_assigned() + 1 and records it. The first seq of a new room is 1.
  std::int64_t next() noexcept { return last_assigned_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  std::int64_t last_assigned() const noexcept { return last_assigned_.load(std::memory_order_acquire); }
  // For loading a room from storage.
  void set_last_assigned(std::int64_t seq) noexcept { last_assigned_.store(seq, std::memory_order_release); }

  std::int64_t delivered() const noexcept { return delivered_.load(std::memory_order_acquire); }
  void set_delivered(std::int64_t seq) noexcept { delivered_.store(seq, std::memory_order_release); }

 private:
  std::atomic<std::int64_t> last_assigned_{0};
  std::atomic<std::int64_t> delivered_{0};
};

}  // namespace chat
