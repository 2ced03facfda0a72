
#include "server/concurrency/bus_core.hpp"
#include "server/concurrency/event_bus.hpp"

namespace chat {

EventBus::EventBus(ThreadPool& pool, Options options) : core_(detail::BusCore::create(pool, options)) {}

EventBus::~EventBus() { core_->close(); }

BusStats EventBus::stats() const { return core_->stats(); }

Subscription::Subscription(std::weak_ptr<detail::BusCore> bus, std::shared_ptr<detail::Subscriber> subscriber) noexcept
    : bus_(std::move(bus)), subscriber_(std::move(subscriber)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    unsubscribe();
    bus_ = std::move(other.bus_);
    subscriber_ = std::move(other.subscriber_);
  }
  return *this;
}

Subscription::~Subscription() { unsubscribe(); }

void Subscription::unsubscribe() noexcept {
  if (!subscriber_) return;
  subscriber_->retire();
  if (auto bus = bus_.lock()) bus->remove(*subscriber_);  // idempotent
}

bool Subscription::active() const noexcept { return subscriber_ && subscriber_->active(); }

}  // namespace chat
