#include <utility>

#include <chrono>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "common/latency_histogram.hpp"

using namespace std::chrono_literals;
using chat::LatencyHistogram;
using chat::LatencySummary;

TEST_CASE("the cumulative counts are exact at every bound, whatever the samples") {
  LatencyHistogram histogram;
  // Each bound itself (at or below it), one nanosecond past it (above it), and far above the last.
  for (std::size_t i = 0; i < LatencySummary::kBounds; ++i) {
    histogram.record(LatencySummary::bound(i));
    histogram.record(LatencySummary::bound(i) + 1ns);
  }
  histogram.record(100s);
  histogram.record(0ns);
  const auto s = histogram.summary();
  CHECK(s.samples == 2 * LatencySummary::kBounds + 2);
  for (std::size_t i = 0; i < LatencySummary::kBounds; ++i) {
    INFO("bound ", i, " = ", LatencySummary::bound(i).count(), " ns");
    // 0 ns, then the bound and the one past it of every lower bound, then this bound.
    CHECK(s.at_most[i] == 1 + 2 * i + 1);
  }
  CHECK(LatencySummary::bound(0) == 16383ns);
  CHECK(LatencySummary::bound(LatencySummary::kBounds - 1) == 17'179'869'183ns);
}

TEST_CASE("sum, mean and p99 of a known distribution") {
  LatencyHistogram histogram;
  for (int i = 0; i < 99; ++i) histogram.record(1ms);
  histogram.record(1s);
  const auto s = histogram.summary();
  CHECK(s.samples == 100);
  CHECK(s.sum == 99ms + 1s);
  CHECK(s.mean == std::chrono::nanoseconds(99ms + 1s) / 100);
  CHECK(s.p99 >= 1ms);
  CHECK(s.p99 < 1200us);  // the bucket's upper edge, within ~19 %
  CHECK(s.at_most[0] == 0);                               // 16 µs
  CHECK(s.at_most[5] == 99);                              // ~16.8 ms
  CHECK(s.at_most[LatencySummary::kBounds - 1] == 100);  // ~17 s
}

TEST_CASE("record_shared from several threads loses no sample") {
  LatencyHistogram histogram;
  constexpr int kThreads = 4;
  constexpr int kEach = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kEach; ++i) histogram.record_shared(std::chrono::microseconds(1 + (i + t) % 50));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto s = histogram.summary();
  CHECK(s.samples == std::uint64_t{kThreads} * kEach);
  CHECK(s.at_most[LatencySummary::kBounds - 1] == s.samples);
  std::chrono::nanoseconds expected{0};
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) expected += std::chrono::microseconds(1 + (i + t) % 50);
  }
  CHECK(s.sum == expected);
}
