#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace chat {

// A summary of one histogram. Thread-safety: a plain value.
struct LatencySummary {
  // The fixed bounds of `at_most`: 2^k - 1 ns for k = 14, 16, ... 34 (16 µs to 17 s, a factor of 4 apart).
  // Each is the upper edge of one of the histogram's own buckets, so the counts below them are exact.
  static constexpr std::size_t kBounds = 11;
  static constexpr std::chrono::nanoseconds bound(std::size_t i) noexcept {
    return std::chrono::nanoseconds((std::int64_t{1} << (14 + 2 * i)) - 1);
  }

  std::uint64_t samples = 0;
  std::chrono::nanoseconds mean{0};
  std::chrono::nanoseconds sum{0};
  // Upper edge of the histogram bucket holding the 99th percentile (at most ~19 % above it).
  std::chrono::nanoseconds p99{0};
  // Samples at or below bound(i): a cumulative histogram, as Prometheus exposes one.
  std::array<std::uint64_t, kBounds> at_most{};
};

// Fixed-size log-linear histogram of durations: O(1) record, no allocation, ~19 % bucket width.
// Thread-safety: one writer at a time calls record() (the pool keeps one histogram per worker,
// see WorkerStats), or any number call record_shared() (an atomic add per counter instead of a load
// and a store), while any thread may read it with merge() or summary() without a lock: each
// counter is a relaxed atomic, so a reader sees every sample's bucket whole or not at all, and
// every sample recorded before an operation that synchronises with the reader (the pool lock).
// The sample count is the sum of the buckets, so a summary is always self-consistent.
class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds d) noexcept;
  void record_shared(std::chrono::nanoseconds d) noexcept;
  // Adds every sample of `other` (the pool keeps one histogram per worker and merges them).
  // This histogram's writer calls it; `other` may be recording meanwhile.
  void merge(const LatencyHistogram& other) noexcept;
  LatencySummary summary() const noexcept;

 private:
  static constexpr int kSubBits = 2;  // 4 linear sub-buckets per power of two
  static constexpr int kBuckets = 64 << kSubBits;
  static int bucket_of(std::uint64_t ns) noexcept;
  static std::uint64_t upper_edge(int bucket) noexcept;

  // Single writer: a relaxed load and store, no read-modify-write.
  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace chat
