#pragma once
// A snapshot of a pool's counters, taken under the pool lock so the numbers agree with each
// other: submitted == completed + failed + cancelled + timed_out + running + queued_total().
// Thread-safety: a plain value, owned by the caller.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <numeric>

#include "server/concurrency/task_priority.hpp"

namespace chat {

struct LatencySummary {
  std::uint64_t samples = 0;
  std::chrono::nanoseconds mean{0};
  // Upper edge of the histogram bucket holding the 99th percentile (at most ~19 % above it).
  std::chrono::nanoseconds p99{0};
};

struct PoolStats {
  std::uint64_t submitted = 0;  // accepted tasks
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t timed_out = 0;  // start deadline passed in the queue, or run timeout overrun
  std::uint64_t rejected = 0;   // refusals of every reason
  std::uint64_t overdue = 0;    // run timeouts that fired (stop requested)
  std::array<std::size_t, kPriorityLevels> queued{};  // indexed by index_of(Priority)
  std::size_t running = 0;
  std::size_t live_threads = 0;
  std::size_t idle_threads = 0;
  std::size_t peak_threads = 0;
  LatencySummary queue_wait;  // submit -> start, for tasks that started
  LatencySummary run_time;    // start -> end, for tasks that ran

  std::size_t queued_total() const noexcept {
    return std::accumulate(queued.begin(), queued.end(), std::size_t{0});
  }
};

}  // namespace chat
