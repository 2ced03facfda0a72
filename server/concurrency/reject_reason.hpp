#pragma once
// Why the pool refused a task. Thread-safe: plain values.

#include <string_view>

namespace chat {

enum class RejectReason {
  QueueFull,      // no room for this priority (try_submit / post never wait)
  ShutDown,       // shutdown() or shutdown_now() was called
  Timeout,        // submit() waited for room longer than its timeout
  WouldDeadlock,  // a worker of this pool would have had to wait on the pool itself
  UnknownClass,   // TaskOptions::concurrency_class is not configured in Options::class_limits
};

constexpr std::string_view to_string(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::QueueFull: return "queue full";
    case RejectReason::ShutDown: return "pool shut down";
    case RejectReason::Timeout: return "timed out waiting for queue room";
    case RejectReason::WouldDeadlock: return "would deadlock: called from a worker of the same pool";
    case RejectReason::UnknownClass: return "unknown concurrency class";
  }
  return "unknown";
}

}  // namespace chat
