#pragma once
// Internal: the shared state behind an EventBus, kept alive by in-flight deliveries and
// referenced weakly by subscriptions, so neither has to outlive the other.
// Thread-safety: every member may be called from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "server/concurrency/bus_stats.hpp"
#include "server/concurrency/event_bus_options.hpp"
#include "server/concurrency/keyed_executor.hpp"
#include "server/concurrency/publish_options.hpp"
#include "server/concurrency/publish_result.hpp"
#include "server/concurrency/subscriber.hpp"

namespace chat {
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
