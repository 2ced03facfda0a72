#pragma once
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

#include <memory>

namespace chat {

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

}  // namespace chat
