#pragma once
// Internal: one subscription's handler plus the gate that makes unsubscribe safe: after
// retire() returns, the handler is not running and will not start.
// Thread-safety: enter/leave/retire may race freely (sequentially consistent atomics: either
// enter() sees the retirement or retire() sees the running call and waits for it).

#include <atomic>
#include <functional>
#include <typeindex>

#include "server/concurrency/task_priority.hpp"

namespace chat::detail {

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
