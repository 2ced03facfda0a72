#include "common/latency_histogram.hpp"

#include <bit>
#include <limits>

namespace chat {

int LatencyHistogram::bucket_of(std::uint64_t ns) noexcept {
  if (ns < (1u << kSubBits)) return static_cast<int>(ns);
  const int exponent = std::bit_width(ns) - 1;  // >= kSubBits
  const auto sub = static_cast<int>((ns >> (exponent - kSubBits)) & ((1u << kSubBits) - 1));
  return ((exponent - kSubBits + 1) << kSubBits) + sub;
}

std::uint64_t LatencyHistogram::upper_edge(int bucket) noexcept {
  if (bucket < (1 << kSubBits)) return static_cast<std::uint64_t>(bucket);
  const int exponent = (bucket >> kSubBits) + kSubBits - 1;
  const auto sub = static_cast<std::uint64_t>(bucket & ((1 << kSubBits) - 1));
  if (exponent >= 63) return std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t base = std::uint64_t{1} << exponent;
  const std::uint64_t step = base >> kSubBits;
  return base + (sub + 1) * step - 1;
}

void LatencyHistogram::record(std::chrono::nanoseconds d) noexcept {
  const auto ns = static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count());
  bump(counts_[static_cast<std::size_t>(bucket_of(ns))], 1);
  bump(sum_ns_, ns);
}

void LatencyHistogram::record_shared(std::chrono::nanoseconds d) noexcept {
  const auto ns = static_cast<std::uint64_t>(d.count() < 0 ? 0 : d.count());
  counts_[static_cast<std::size_t>(bucket_of(ns))].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

void LatencyHistogram::merge(const LatencyHistogram& other) noexcept {
  for (std::size_t b = 0; b < counts_.size(); ++b) bump(counts_[b], other.counts_[b].load(std::memory_order_relaxed));
  bump(sum_ns_, other.sum_ns_.load(std::memory_order_relaxed));
}

LatencySummary LatencyHistogram::summary() const noexcept {
  std::array<std::uint64_t, kBuckets> counts;
  std::uint64_t samples = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) samples += counts[b] = counts_[b].load(std::memory_order_relaxed);
  LatencySummary s;
  s.samples = samples;
  if (samples == 0) return s;
  // A sum read while samples are being recorded may lag or lead the buckets by a sample or two.
  const std::uint64_t sum_ns = sum_ns_.load(std::memory_order_relaxed);
  s.sum = std::chrono::nanoseconds(static_cast<std::int64_t>(std::min<std::uint64_t>(sum_ns, std::numeric_limits<std::int64_t>::max())));
  s.mean = std::chrono::nanoseconds(static_cast<std::int64_t>(sum_ns / samples));
  // The bounds are bucket edges (2^k - 1): a bucket lies wholly at or below a bound, or wholly above it.
  std::uint64_t below = 0;
  std::size_t bound = 0;
  for (int b = 0; b < kBuckets && bound < LatencySummary::kBounds; ++b) {
    while (bound < LatencySummary::kBounds &&
           upper_edge(b) > static_cast<std::uint64_t>(LatencySummary::bound(bound).count())) {
      s.at_most[bound++] = below;
    }
    below += counts[static_cast<std::size_t>(b)];
  }
  while (bound < LatencySummary::kBounds) s.at_most[bound++] = below;
  // Smallest bucket at or below which 99 % of the samples lie.
  const std::uint64_t rank = samples - samples / 100;
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts[static_cast<std::size_t>(b)];
    if (seen >= rank) {
      const auto edge = upper_edge(b);
      s.p99 = std::chrono::nanoseconds(
          static_cast<std::int64_t>(std::min<std::uint64_t>(edge, std::numeric_limits<std::int64_t>::max())));
      break;
    }
  }
  return s;
}

}  // namespace chat
