#include "loadtest/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace chat::loadtest {
namespace {

constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << Histogram::kSubBucketBits;
constexpr std::uint64_t kHalf = kSubBuckets / 2;
// Values up to 2^64-1: shifts 1..(64 - kSubBucketBits) after the exact range.
constexpr std::size_t kBucketCount = kSubBuckets + (64 - Histogram::kSubBucketBits) * kHalf;

}  // namespace

Histogram::Histogram() : buckets_(kBucketCount, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) noexcept {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  const unsigned shift = static_cast<unsigned>(std::bit_width(value)) - kSubBucketBits;  // >= 1
  const std::uint64_t mantissa = value >> shift;                                        // [kHalf, kSubBuckets)
  return static_cast<std::size_t>(kSubBuckets + (shift - 1) * kHalf + (mantissa - kHalf));
}

std::uint64_t Histogram::lowest_in(std::size_t bucket) noexcept {
  if (bucket < kSubBuckets) return bucket;
  const std::uint64_t offset = bucket - kSubBuckets;
  const unsigned shift = static_cast<unsigned>(offset / kHalf) + 1;
  const std::uint64_t mantissa = kHalf + offset % kHalf;
  return mantissa << shift;
}

std::uint64_t Histogram::highest_in(std::size_t bucket) noexcept {
  if (bucket + 1 >= kBucketCount) return std::numeric_limits<std::uint64_t>::max();
  return lowest_in(bucket + 1) - 1;
}

void Histogram::record(std::uint64_t value) noexcept {
  ++buckets_[bucket_of(value)];
  if (count_ == 0 || value < min_) min_ = value;
  max_ = std::max(max_, value);
  ++count_;
  sum_ += static_cast<long double>(value);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double Histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  // The rank is ceil(p% of count) in integers: in floating point 99.9 / 100
  // is a hair above 0.999, and the ceiling of 999.0000000000001 would make
  // the 99.9th percentile of 1,000 samples the maximum.
  const auto per_billion = static_cast<std::uint64_t>(std::llround(std::clamp(p, 0.0, 100.0) * 1e7));
  constexpr std::uint64_t kBillion = 1'000'000'000;
  // Split so that no product overflows: count_ / 1e9 * p exactly, plus the ceiling of the rest.
  std::uint64_t rank = count_ / kBillion * per_billion + (count_ % kBillion * per_billion + kBillion - 1) / kBillion;
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(highest_in(i), max_);
  }
  return max_;
}

nlohmann::json Histogram::to_json() const {
  nlohmann::json sparse = nlohmann::json::array();
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (buckets_[i] != 0) sparse.push_back({i, buckets_[i]});
  }
  return {{"buckets", std::move(sparse)},
          {"min", min()},
          {"max", max_},
          {"sum", static_cast<double>(sum_)}};
}

Histogram Histogram::from_json(const nlohmann::json& json) {
  Histogram h;
  for (const auto& pair : json.at("buckets")) {
    const auto index = pair.at(0).get<std::size_t>();
    if (index >= kBucketCount) throw std::out_of_range("histogram bucket index out of range");
    const auto n = pair.at(1).get<std::uint64_t>();
    h.buckets_[index] += n;
    h.count_ += n;
  }
  h.min_ = json.at("min").get<std::uint64_t>();
  h.max_ = json.at("max").get<std::uint64_t>();
  h.sum_ = json.at("sum").get<double>();
  return h;
}

}  // namespace chat::loadtest
