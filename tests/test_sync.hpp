#pragma once
// Bounded synchronisation helpers for the concurrency tests: every wait gives up after a
// generous limit and reports failure instead of hanging the suite.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace chat::test {

// Long enough for ThreadSanitizer on a loaded 2-core machine; only reached when a test fails.
inline constexpr std::chrono::seconds kPatience{20};

// A one-shot gate: tasks wait until the test opens it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lk(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::steady_clock::duration limit = kPatience) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, limit, [&] { return open_; });
  }
  bool is_open() {
    std::lock_guard lk(m_);
    return open_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Counts arrivals; waiters block until `expected` have arrived.
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : remaining_(expected) {}
  void arrive() {
    std::lock_guard lk(m_);
    if (--remaining_ <= 0) cv_.notify_all();
  }
  bool wait(std::chrono::steady_clock::duration limit = kPatience) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, limit, [&] { return remaining_ <= 0; });
  }
  bool arrive_and_wait(std::chrono::steady_clock::duration limit = kPatience) {
    arrive();
    return wait(limit);
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int remaining_;
};

// Polls `pred` until it holds or the limit passes; the sleep only lets other threads progress.
template <class Pred>
bool eventually(Pred pred, std::chrono::steady_clock::duration limit = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace chat::test
