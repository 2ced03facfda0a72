
#include <algorithm>
#include <spdlog/spdlog.h>

#include "server/concurrency/bus_core.hpp"
#include "server/concurrency/thread_pool.hpp"

namespace chat::detail {
namespace {
// The subscriber whose handler this thread is running (handlers never nest: publish never
// runs a handler inline).
thread_local const Subscriber* tl_running = nullptr;

class RunningGuard {
 public:
  RunningGuard(const Subscriber* s, std::atomic<int>& running, std::atomic<bool>& active)
      : previous_(tl_running), running_(running), active_(active) {
    tl_running = s;
  }
  RunningGuard(const RunningGuard&) = delete;
  RunningGuard& operator=(const RunningGuard&) = delete;
  ~RunningGuard() {
    tl_running = previous_;
    running_.fetch_sub(1);
    if (!active_.load()) running_.notify_all();
  }

 private:
  const Subscriber* previous_;
  std::atomic<int>& running_;
  std::atomic<bool>& active_;
};
}  // namespace

bool Subscriber::invoke(const void* event) {
  running_.fetch_add(1);
  if (!active_.load()) {
    running_.fetch_sub(1);
    running_.notify_all();
    return false;
  }
  RunningGuard guard(this, running_, active_);
  call(event);
  return true;
}

void Subscriber::retire() noexcept {
  active_.store(false);
  // From inside the handler, waiting could deadlock: two concurrent calls each unsubscribing
  // would wait for the other. No call starts from here on; the running ones finish alone.
  if (tl_running == this) return;
  for (int now = running_.load(); now > 0; now = running_.load()) running_.wait(now);
}

namespace {

PublishRefusal refusal_of(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::QueueFull: return PublishRefusal::PoolQueueFull;
    case RejectReason::UnknownClass: return PublishRefusal::UnknownClass;
    case RejectReason::ShutDown:
    case RejectReason::Timeout:
    case RejectReason::WouldDeadlock: break;
  }
  return PublishRefusal::PoolShutDown;
}

}  // namespace

std::shared_ptr<BusCore> BusCore::create(ThreadPool& pool, EventBusOptions options) {
  return std::shared_ptr<BusCore>(new BusCore(pool, options));
}

BusCore::BusCore(ThreadPool& pool, EventBusOptions options) : pool_(pool), options_(options) {
  // The executor is owned by this core; deliveries keep the core alive, so a raw pointer is safe.
  keyed_ = KeyedExecutor::create(pool_, [this](std::size_t n) { dropped(n); }, options_.key_shards);
}

void BusCore::add(std::shared_ptr<Subscriber> subscriber) {
  std::lock_guard lk(subscribers_mutex_);
  auto& slot = subscribers_[subscriber->type()];
  auto next = slot ? std::make_shared<Subscribers>(*slot) : std::make_shared<Subscribers>();
  next->push_back(std::move(subscriber));
  slot = std::move(next);
}

void BusCore::remove(const Subscriber& subscriber) {
  std::shared_ptr<const Subscribers> old;  // released after the lock
  std::lock_guard lk(subscribers_mutex_);
  auto it = subscribers_.find(subscriber.type());
  if (it == subscribers_.end()) return;
  auto next = std::make_shared<Subscribers>(*it->second);
  std::erase_if(*next, [&](const auto& s) { return s.get() == &subscriber; });
  old = std::move(it->second);
  if (next->empty()) {
    subscribers_.erase(it);
  } else {
    it->second = std::move(next);
  }
}

std::shared_ptr<const BusCore::Subscribers> BusCore::subscribers_of(std::type_index type) const {
  std::lock_guard lk(subscribers_mutex_);
  auto it = subscribers_.find(type);
  return it == subscribers_.end() ? nullptr : it->second;
}

bool BusCore::reserve_backlog(std::size_t n) noexcept {
  std::size_t current = backlog_.load();
  do {
    if (current + n > options_.max_backlog) return false;
  } while (!backlog_.compare_exchange_weak(current, current + n));
  return true;
}

void BusCore::release_backlog(std::size_t n) noexcept {
  if (backlog_.fetch_sub(n) == n) backlog_.notify_all();
}

PublishResult BusCore::refuse(PublishRefusal r) noexcept {
  refused_.fetch_add(1, std::memory_order_relaxed);
  return PublishResult::refused(r);
}

PublishResult BusCore::publish(std::type_index type, std::shared_ptr<const void> event, PublishOptions&& options) {
  if (closed_.load()) return refuse(PublishRefusal::BusClosed);
  const auto subscribers = subscribers_of(type);
  const std::size_t n = subscribers ? subscribers->size() : 0;
  if (n == 0) {
    published_.fetch_add(1, std::memory_order_relaxed);
    return PublishResult::accepted(0);
  }
  if (!reserve_backlog(n)) return refuse(PublishRefusal::BacklogFull);
  // Checked again after the reservation: close() sets closed_ and then waits for the backlog,
  // so either it sees this reservation and waits for these deliveries, or this sees closed_
  // (both sequentially consistent). No delivery can start after close() returned.
  if (closed_.load()) {
    release_backlog(n);
    return refuse(PublishRefusal::BusClosed);
  }

  auto self = shared_from_this();
  auto job_for = [&](const std::shared_ptr<Subscriber>& s) {
    return [self, event, s](std::stop_token) { self->deliver(event.get(), *s); };
  };
  std::optional<RejectReason> rejected;
  if (options.key.empty()) {
    std::vector<PostRequest> requests;
    requests.reserve(n);
    for (const auto& s : *subscribers) {
      PostRequest r{job_for(s), {}};
      r.options.priority = options.priority.value_or(s->priority());
      r.options.concurrency_class = options.concurrency_class;
      // Fires only for a delivery the pool cancelled before it ran; the job (which holds
      // `self`) outlives the callback, so the raw pointer is valid.
      r.options.on_error = [core = this](std::exception_ptr) { core->dropped(1); };
      requests.push_back(std::move(r));
    }
    const SubmitResult r = pool_.post_all(requests);
    if (!r) rejected = r.reason();
  } else {
    std::vector<KeyedExecutor::Job> jobs;
    jobs.reserve(n);
    for (const auto& s : *subscribers) {
      jobs.push_back({job_for(s), options.priority.value_or(s->priority()), options.concurrency_class});
    }
    rejected = keyed_->submit(options.key, std::move(jobs));
  }
  if (rejected) {
    release_backlog(n);
    return refuse(refusal_of(*rejected));
  }
  published_.fetch_add(1, std::memory_order_relaxed);
  return PublishResult::accepted(n);
}

void BusCore::deliver(const void* event, Subscriber& subscriber) noexcept {
  try {
    if (subscriber.invoke(event)) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
    } else {
      skipped_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("event bus: handler for event type {} threw: {}", subscriber.type().name(), e.what());
  } catch (...) {
    failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("event bus: handler for event type {} threw a non-standard exception", subscriber.type().name());
  }
  release_backlog(1);
}

void BusCore::dropped(std::size_t n) noexcept {
  if (n == 0) return;
  dropped_.fetch_add(n, std::memory_order_relaxed);
  release_backlog(n);
}

BusStats BusCore::stats() const {
  BusStats s;
  s.published = published_.load(std::memory_order_relaxed);
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.handler_failures = failures_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  s.keys_active = keyed_->active_keys();
  s.backlog = backlog_.load(std::memory_order_relaxed);
  return s;
}

void BusCore::close() {
  closed_.store(true);
  if (pool_.on_worker_thread()) {
    if (backlog_.load() != 0) {
      spdlog::warn("event bus: closed from a pool worker with {} deliveries in flight; not waiting", backlog_.load());
    }
    return;
  }
  for (std::size_t now = backlog_.load(); now != 0; now = backlog_.load()) backlog_.wait(now);
}

}  // namespace chat::detail
