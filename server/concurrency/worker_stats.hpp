#pragma once
// Internal: the queue-wait and run-time histograms of one worker slot. Each worker records its
// own samples outside the pool mutex and without any lock (it is the histograms' only writer),
// so the pool's critical section neither computes them nor pulls the histogram cache lines from
// the other workers; stats() merges all slots.
// Thread-safety: record_*() by the slot's worker only; merge_into() from any thread.

#include <chrono>

#include "server/concurrency/latency_histogram.hpp"

namespace chat::detail {

// Cache-line aligned: the slots of different workers sit side by side in the pool.
struct alignas(64) WorkerStats {
  void record_wait(std::chrono::nanoseconds d) noexcept { wait.record(d); }
  void record_run(std::chrono::nanoseconds d) noexcept { run.record(d); }
  void merge_into(LatencyHistogram& wait_total, LatencyHistogram& run_total) const noexcept {
    wait_total.merge(wait);
    run_total.merge(run);
  }

  LatencyHistogram wait;
  LatencyHistogram run;
};

}  // namespace chat::detail
