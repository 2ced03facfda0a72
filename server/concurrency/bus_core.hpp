#pragma once
// The event bus's vocabulary (its options, a publish's options and result, its counters) and,
// internal, the machinery behind it: the subscriber gate and the shared core.

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "server/concurrency/keyed_executor.hpp"
#include "server/concurrency/task.hpp"

namespace chat {

// Settings of an EventBus (EventBus::Options). Thread-safety: plain value.
struct EventBusOptions {
  // Bound on deliveries (one per event and handler) accepted but not finished; past it publish
  // is refused with BacklogFull.
  std::size_t max_backlog = 65536;
  // Lock striping of the ordering-key table.
  std::size_t key_shards = 16;
};

// Per-event settings of EventBus::publish. Thread-safety: plain value.
struct PublishOptions {
  // Events with the same non-empty key are handled one at a time, in publish order.
  std::string key;
  // Overrides every handler's subscription priority for this event.
  std::optional<Priority> priority;
  // Pool concurrency class for this event's handler calls (empty = none).
  std::string concurrency_class;
};

// Result of EventBus::publish: accepted (with the number of handler deliveries queued), or
// refused with a reason the caller can turn into "overloaded". Thread-safety: plain value.
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

// Counters of an EventBus. Each counter is exact; the snapshot is not atomic as a whole (the
// counters are read one after another while deliveries continue). Thread-safety: plain value.
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

namespace chat::detail {

// One subscription's handler plus the gate that makes unsubscribe safe: after
// retire() returns, the handler is not running and will not start.
// Thread-safety: enter/leave/retire may race freely (sequentially consistent atomics: either
// enter() sees the retirement or retire() sees the running call and waits for it).
class Subscriber {
 public:
  Subscriber(std::type_index type, Priority priority) : type_(type), priority_(priority) {}
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  virtual ~Subscriber() = default;

  std::type_index type() const noexcept { return type_; }
  Priority priority() const noexcept { return priority_; }
  bool active() const noexcept { return active_.load(); }

  // Calls the handler unless retired. True if it ran and returned, false if skipped.
  // Exceptions from the handler propagate.
  bool invoke(const void* event);
  // Stops new calls, then waits for running calls to end. From inside the handler itself it
  // only stops new calls: calls already running (this one, and others on other threads) finish
  // on their own.
  void retire() noexcept;

 protected:
  virtual void call(const void* event) = 0;

 private:
  const std::type_index type_;
  const Priority priority_;
  std::atomic<bool> active_{true};
  std::atomic<int> running_{0};
};

template <class Event>
class TypedSubscriber final : public Subscriber {
 public:
  TypedSubscriber(std::function<void(const Event&)> handler, Priority priority)
      : Subscriber(typeid(Event), priority), handler_(std::move(handler)) {}

 private:
  void call(const void* event) override { handler_(*static_cast<const Event*>(event)); }
  std::function<void(const Event&)> handler_;
};

}  // namespace chat::detail

namespace chat {

// The shared state behind an EventBus, kept alive by in-flight deliveries and
// referenced weakly by subscriptions, so neither has to outlive the other.
// Thread-safety: every member may be called from any thread.
class ThreadPool;
}

namespace chat::detail {

class BusCore : public std::enable_shared_from_this<BusCore> {
 public:
  static std::shared_ptr<BusCore> create(ThreadPool& pool, EventBusOptions options);

  void add(std::shared_ptr<Subscriber> subscriber);
  void remove(const Subscriber& subscriber);
  PublishResult publish(std::type_index type, std::shared_ptr<const void> event, PublishOptions&& options);
  BusStats stats() const;
  // Refuses further publishes, then waits until every accepted delivery has finished (not when
  // called on a pool worker, where waiting could deadlock).
  void close();

 private:
  using Subscribers = std::vector<std::shared_ptr<Subscriber>>;

  BusCore(ThreadPool& pool, EventBusOptions options);
  std::shared_ptr<const Subscribers> subscribers_of(std::type_index type) const;
  bool reserve_backlog(std::size_t n) noexcept;
  void release_backlog(std::size_t n) noexcept;
  PublishResult refuse(PublishRefusal r) noexcept;
  // Runs one handler call on a pool worker and accounts for it; never throws.
  void deliver(const void* event, Subscriber& subscriber) noexcept;
  void dropped(std::size_t n) noexcept;

  ThreadPool& pool_;
  const EventBusOptions options_;
  std::shared_ptr<KeyedExecutor> keyed_;

  mutable std::mutex subscribers_mutex_;
  // Copy-on-write: publish takes a snapshot pointer, (un)subscribe replaces the list.
  std::unordered_map<std::type_index, std::shared_ptr<const Subscribers>> subscribers_;

  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> backlog_{0};
  std::atomic<std::uint64_t> published_{0}, delivered_{0}, failures_{0}, refused_{0}, dropped_{0}, skipped_{0};
};

}  // namespace chat::detail
