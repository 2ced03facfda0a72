#pragma once
// The time source of a pool (aging, deadlines, timings), injectable so tests are deterministic.
// Thread-safety: now() may be called from any thread concurrently; ManualClock is fully thread-safe.

#include <atomic>
#include <chrono>
#include <memory>

namespace chat {

class PoolClock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~PoolClock() = default;
  virtual time_point now() const noexcept = 0;
  // True when now() follows std::chrono::steady_clock, so the pool may sleep until a deadline.
  virtual bool is_steady_clock() const noexcept { return false; }
};

class SteadyPoolClock final : public PoolClock {
 public:
  time_point now() const noexcept override { return std::chrono::steady_clock::now(); }
  bool is_steady_clock() const noexcept override { return true; }
};

// Time moves only when advance() is called.
class ManualClock final : public PoolClock {
 public:
  time_point now() const noexcept override { return time_point(duration(ticks_.load())); }
  void advance(duration d) noexcept { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<duration::rep> ticks_{duration(std::chrono::hours(1)).count()};
};

inline std::shared_ptr<PoolClock> make_steady_pool_clock() {
  return std::make_shared<SteadyPoolClock>();
}

}  // namespace chat
