#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat::loadtest {

// Log-linear histogram of non-negative integers (microseconds here), in the
// manner of HdrHistogram: exact below 2^kSubBucketBits, then every power of two
// split into 2^(kSubBucketBits-1) equal buckets, so a reported value is within
// 1/128 of the true one whatever its magnitude. Fixed memory, O(1) record,
// and two histograms merge by adding counts (used to combine workers).
class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 8;

  Histogram();

  void record(std::uint64_t value) noexcept;
  void merge(const Histogram& other);

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  double mean() const noexcept;

  // Nearest-rank percentile, 0 < p <= 100: the highest value equivalent to
  // the bucket holding the ceil(p% * count)-th smallest value, never above
  // the exact maximum. 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  // Sparse form ({"buckets":[[index,count],...],...}) so that worker
  // processes can ship histograms to the parent losslessly.
  nlohmann::json to_json() const;
  static Histogram from_json(const nlohmann::json& json);

  // Bucket arithmetic, public for the tests.
  static std::size_t bucket_of(std::uint64_t value) noexcept;
  static std::uint64_t lowest_in(std::size_t bucket) noexcept;
  static std::uint64_t highest_in(std::size_t bucket) noexcept;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace chat::loadtest
