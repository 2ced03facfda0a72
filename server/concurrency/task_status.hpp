#pragma once
// Life cycle of one pool task. Thread-safe: plain values.
//
// Queued -> Running -> Completed | Failed | Cancelled | TimedOut
// Queued -> Cancelled (cancel / shutdown_now) | TimedOut (start deadline passed)

#include <string_view>

namespace chat {

enum class TaskStatus { Queued, Running, Completed, Failed, Cancelled, TimedOut };

constexpr bool is_final(TaskStatus s) noexcept {
  return s != TaskStatus::Queued && s != TaskStatus::Running;
}

constexpr std::string_view to_string(TaskStatus s) noexcept {
  switch (s) {
    case TaskStatus::Queued: return "queued";
    case TaskStatus::Running: return "running";
    case TaskStatus::Completed: return "completed";
    case TaskStatus::Failed: return "failed";
    case TaskStatus::Cancelled: return "cancelled";
    case TaskStatus::TimedOut: return "timed_out";
  }
  return "unknown";
}

}  // namespace chat
