#include "server/concurrency/subscriber.hpp"

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

}  // namespace chat::detail
