#pragma once

#include <functional>
#include <memory>
#include <typeindex>

#include "server/concurrency/bus_core.hpp"
#include "server/concurrency/task.hpp"

namespace chat {

// Subscription: the owner's handle on one EventBus handler. Destroying it (or calling
// unsubscribe) removes the handler; when unsubscribe() returns the handler is not running and
// will never start again, even for events published before.
//
// Unsubscribing from inside the handler itself does not deadlock: it returns at once, no new
// call starts, and the calls already running (this one and any on other threads) finish
// normally. Two different handlers each unsubscribing the other while both run would wait on
// each other: do not do that.
// Thread-safety: unsubscribe() and active() only read this handle, so they may be called from
// several threads at once (a handler unsubscribing itself while its owner does the same).
// Moving and destroying belong to the one owner (like unique_ptr). Outliving the bus is fine.
namespace detail {
class BusCore;
class Subscriber;
}  // namespace detail

class Subscription {
 public:
  Subscription() = default;
  Subscription(std::weak_ptr<detail::BusCore> bus, std::shared_ptr<detail::Subscriber> subscriber) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  Subscription(Subscription&& other) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept;
  ~Subscription();

  void unsubscribe() noexcept;
  bool active() const noexcept;

 private:
  std::weak_ptr<detail::BusCore> bus_;
  std::shared_ptr<detail::Subscriber> subscriber_;
};

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
