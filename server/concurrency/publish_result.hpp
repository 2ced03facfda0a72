#pragma once
// Result of EventBus::publish: accepted (with the number of handler deliveries queued), or
// refused with a reason the caller can turn into "overloaded". Thread-safety: plain value.

#include <cassert>
#include <cstddef>
#include <optional>
#include <string_view>

namespace chat {

enum class PublishRefusal {
  PoolQueueFull,  // the worker pool's queue has no room
  PoolShutDown,   // the worker pool no longer accepts work
  BacklogFull,    // the bus's own bound on accepted-but-unfinished deliveries is reached
  BusClosed,      // the bus is being destroyed
  UnknownClass,   // PublishOptions::concurrency_class is not configured in the pool
};

constexpr std::string_view to_string(PublishRefusal r) noexcept {
  switch (r) {
    case PublishRefusal::PoolQueueFull: return "pool queue full";
    case PublishRefusal::PoolShutDown: return "pool shut down";
    case PublishRefusal::BacklogFull: return "bus backlog full";
    case PublishRefusal::BusClosed: return "bus closed";
    case PublishRefusal::UnknownClass: return "unknown concurrency class";
  }
  return "unknown";
}

class PublishResult {
 public:
  static PublishResult accepted(std::size_t deliveries) noexcept { return PublishResult(deliveries, std::nullopt); }
  static PublishResult refused(PublishRefusal r) noexcept { return PublishResult(0, r); }

  bool ok() const noexcept { return !refusal_; }
  explicit operator bool() const noexcept { return ok(); }
  std::size_t deliveries() const noexcept { return deliveries_; }
  // Precondition: !ok().
  PublishRefusal refusal() const noexcept {
    assert(!ok());
    return *refusal_;
  }

 private:
  PublishResult(std::size_t d, std::optional<PublishRefusal> r) noexcept : deliveries_(d), refusal_(r) {}
  std::size_t deliveries_;
  std::optional<PublishRefusal> refusal_;
};

}  // namespace chat
