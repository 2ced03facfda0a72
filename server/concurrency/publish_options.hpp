#pragma once
// Per-event settings of EventBus::publish. Thread-safety: plain value.

#include <optional>
#include <string>

#include "server/concurrency/task_priority.hpp"

namespace chat {

struct PublishOptions {
  // Events with the same non-empty key are handled one at a time, in publish order.
  std::string key;
  // Overrides every handler's subscription priority for this event.
  std::optional<Priority> priority;
  // Pool concurrency class for this event's handler calls (empty = none).
  std::string concurrency_class;
};

}  // namespace chat
