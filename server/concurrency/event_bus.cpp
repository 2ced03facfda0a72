#include "server/concurrency/event_bus.hpp"

namespace chat {

EventBus::EventBus(ThreadPool& pool, Options options) : core_(detail::BusCore::create(pool, options)) {}

EventBus::~EventBus() { core_->close(); }

BusStats EventBus::stats() const { return core_->stats(); }

}  // namespace chat
