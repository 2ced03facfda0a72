#pragma once
// Counters of an EventBus. Each counter is exact; the snapshot is not atomic as a whole (the
// counters are read one after another while deliveries continue). Thread-safety: plain value.

#include <cstddef>
#include <cstdint>

namespace chat {

struct BusStats {
  std::uint64_t published = 0;         // accepted publish calls
  std::uint64_t delivered = 0;         // handler calls that returned normally
  std::uint64_t handler_failures = 0;  // handler calls that threw
  std::uint64_t refused = 0;           // refused publish calls
  std::uint64_t dropped = 0;           // accepted deliveries discarded by a pool shutdown_now
  std::uint64_t skipped = 0;           // deliveries whose subscription ended before they ran
  std::size_t keys_active = 0;         // ordering keys with deliveries pending or running
  std::size_t backlog = 0;             // accepted deliveries not yet finished
};

}  // namespace chat
