#pragma once
// Internal: the queue-wait and run-time histograms of one worker slot. Each worker records its
// own samples outside the pool mutex, so the pool's critical section neither computes them nor
// pulls the histogram cache lines from the other workers; stats() merges all slots.
// Thread-safety: record() and merge_into() may be called concurrently; a per-slot mutex, which
// only stats() ever contends for, serialises them.

#include <chrono>
#include <mutex>

#include "server/concurrency/latency_histogram.hpp"

namespace chat::detail {

// Cache-line aligned: the slots of different workers sit side by side in the pool.
struct alignas(64) WorkerStats {
  void record_wait(std::chrono::nanoseconds d) noexcept {
    std::lock_guard lk(mutex);
    wait.record(d);
  }
  void record_run(std::chrono::nanoseconds d) noexcept {
    std::lock_guard lk(mutex);
    run.record(d);
  }
  void merge_into(LatencyHistogram& wait_total, LatencyHistogram& run_total) const noexcept {
    std::lock_guard lk(mutex);
    wait_total.merge(wait);
    run_total.merge(run);
  }

  mutable std::mutex mutex;
  LatencyHistogram wait;
  LatencyHistogram run;
};

}  // namespace chat::detail
