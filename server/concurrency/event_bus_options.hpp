#pragma once
// Settings of an EventBus (EventBus::Options). Thread-safety: plain value.

#include <cstddef>

namespace chat {

struct EventBusOptions {
  // Bound on deliveries (one per event and handler) accepted but not finished; past it publish
  // is refused with BacklogFull.
  std::size_t max_backlog = 65536;
  // Lock striping of the ordering-key table.
  std::size_t key_shards = 16;
};

}  // namespace chat
