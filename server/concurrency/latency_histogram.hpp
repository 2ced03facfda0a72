#pragma once
// Fixed-size log-linear histogram of durations: O(1) record, no allocation, ~19 % bucket width.
// Thread-safety: none; the owner serialises access (the pool keeps one per worker, see
// WorkerStats).

#include <array>
#include <chrono>
#include <cstdint>

#include "server/concurrency/pool_stats.hpp"

namespace chat {

class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds d) noexcept;
  // Adds every sample of `other` (the pool keeps one histogram per worker and merges them).
  void merge(const LatencyHistogram& other) noexcept;
  LatencySummary summary() const noexcept;

 private:
  static constexpr int kSubBits = 2;  // 4 linear sub-buckets per power of two
  static constexpr int kBuckets = 64 << kSubBits;
  static int bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t upper_edge(int bucket) noexcept;

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t samples_ = 0;
  long double sum_ns_ = 0;
};

}  // namespace chat
