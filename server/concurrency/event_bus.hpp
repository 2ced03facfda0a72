#pragma once
// EventBus: typed publish/subscribe whose handlers run on a ThreadPool. See
// docs/architecture.md, "Event bus".
//
// - publish() never runs or waits for a handler: each (event, handler) pair becomes one pool
//   task at the handler's subscription priority, or at PublishOptions::priority if given.
// - Events with the same PublishOptions::key are handled one at a time in publish order
//   (all handlers of one event before the next event); different keys run in parallel.
// - publish() either accepts the whole event (every handler will be called, unless its
//   subscription ends first or the pool is stopped with shutdown_now, counted as dropped) or
//   refuses it with a reason. Nothing is dropped silently.
// - A throwing handler is logged and counted; other handlers are unaffected.
// Thread-safety: all members may be called concurrently from any thread, including handlers.
// The pool must outlive the bus. The destructor refuses new events and waits for accepted
// deliveries to finish (it does not wait when called on a pool worker).

#include <functional>
#include <memory>
#include <typeindex>

#include "server/concurrency/bus_core.hpp"
#include "server/concurrency/bus_stats.hpp"
#include "server/concurrency/event_bus_options.hpp"
#include "server/concurrency/publish_options.hpp"
#include "server/concurrency/publish_result.hpp"
#include "server/concurrency/subscriber.hpp"
#include "server/concurrency/subscription.hpp"
#include "server/concurrency/task_priority.hpp"

namespace chat {

class ThreadPool;

class EventBus {
 public:
  using Options = EventBusOptions;

  explicit EventBus(ThreadPool& pool, Options options = {});
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;
  ~EventBus();

  template <class Event>
  [[nodiscard]] Subscription subscribe(std::function<void(const Event&)> handler,
                                       Priority priority = Priority::Normal) {
    auto subscriber = std::make_shared<detail::TypedSubscriber<Event>>(std::move(handler), priority);
    core_->add(subscriber);
    return Subscription(core_, std::move(subscriber));
  }

  template <class Event>
  PublishResult publish(Event event, PublishOptions options = {}) {
    return core_->publish(typeid(Event), std::make_shared<const Event>(std::move(event)), std::move(options));
  }

  BusStats stats() const;

 private:
  std::shared_ptr<detail::BusCore> core_;
};

}  // namespace chat
