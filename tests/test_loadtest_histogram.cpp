#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>

#include "loadtest/histogram.hpp"

using chat::loadtest::Histogram;

TEST_CASE("empty histogram reports zeros") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.max() == 0);
  CHECK(h.min() == 0);
  CHECK(h.mean() == 0.0);
}

TEST_CASE("small values are exact") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  CHECK(h.count() == 100);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
  CHECK(h.percentile(50) == 50);
  CHECK(h.percentile(90) == 90);
  CHECK(h.percentile(99) == 99);
  CHECK(h.percentile(99.9) == 100);
  CHECK(h.percentile(100) == 100);
  CHECK(h.mean() == doctest::Approx(50.5));
}

TEST_CASE("bucket bounds are contiguous and contain their values") {
  for (std::size_t b = 0; b + 1 < 3000; ++b) {
    REQUIRE(Histogram::highest_in(b) + 1 == Histogram::lowest_in(b + 1));
    REQUIRE(Histogram::bucket_of(Histogram::lowest_in(b)) == b);
    REQUIRE(Histogram::bucket_of(Histogram::highest_in(b)) == b);
  }
  CHECK(Histogram::bucket_of(std::numeric_limits<std::uint64_t>::max()) ==
        Histogram::bucket_of(std::numeric_limits<std::uint64_t>::max() - 1));
}

TEST_CASE("large values stay within the relative precision") {
  std::mt19937_64 random(7);
  for (int i = 0; i < 10'000; ++i) {
    const std::uint64_t v = random() >> (random() % 60);
    const auto b = Histogram::bucket_of(v);
    REQUIRE(Histogram::lowest_in(b) <= v);
    REQUIRE(v <= Histogram::highest_in(b));
    const double width = static_cast<double>(Histogram::highest_in(b) - Histogram::lowest_in(b) + 1);
    if (v < 256) {
      REQUIRE(width == 1.0);  // the exact range
    } else {
      REQUIRE(width / static_cast<double>(v) <= 1.0 / 128.0);
    }
  }
}

TEST_CASE("percentiles of a wide uniform spread are within 1%") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1'000'000; ++v) h.record(v);
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = p / 100.0 * 1'000'000;
    CHECK(static_cast<double>(h.percentile(p)) == doctest::Approx(exact).epsilon(0.01));
  }
  CHECK(h.percentile(100) == 1'000'000);
}

TEST_CASE("nearest rank is exact: p99.9 of 1,000 samples is the 999th, not the maximum") {
  Histogram h;
  for (int i = 0; i < 999; ++i) h.record(10);
  h.record(200);
  CHECK(h.percentile(99.9) == 10);
  CHECK(h.percentile(99.91) == 200);
  CHECK(h.percentile(100) == 200);
  Histogram hundred;
  for (std::uint64_t v = 1; v <= 100; ++v) hundred.record(v);
  for (int p = 1; p <= 100; ++p) CHECK(hundred.percentile(p) == static_cast<std::uint64_t>(p));
  CHECK(hundred.percentile(0.001) == 1);  // never below the first rank
}

TEST_CASE("a percentile never exceeds the recorded maximum") {
  Histogram h;
  h.record(1'000'001);
  CHECK(h.percentile(50) == 1'000'001);
  CHECK(h.percentile(99.9) == 1'000'001);
}

TEST_CASE("merge equals recording everything in one histogram") {
  Histogram a, b, all;
  for (std::uint64_t v = 0; v < 5000; v += 3) {
    a.record(v * 17);
    all.record(v * 17);
  }
  for (std::uint64_t v = 0; v < 5000; v += 7) {
    b.record(v * 1001);
    all.record(v * 1001);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  CHECK(a.min() == all.min());
  CHECK(a.max() == all.max());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) CHECK(a.percentile(p) == all.percentile(p));
  CHECK(a.mean() == doctest::Approx(all.mean()));
}

TEST_CASE("JSON round trip keeps every bucket") {
  Histogram h;
  for (std::uint64_t v = 5; v < 200'000; v = v * 3 / 2 + 1) h.record(v);
  const auto copy = Histogram::from_json(h.to_json());
  CHECK(copy.count() == h.count());
  CHECK(copy.min() == h.min());
  CHECK(copy.max() == h.max());
  for (const double p : {10.0, 50.0, 99.0, 100.0}) CHECK(copy.percentile(p) == h.percentile(p));
  CHECK_THROWS(Histogram::from_json(nlohmann::json::parse(R"({"buckets":[[99999999,1]],"min":0,"max":0,"sum":0})")));
}
