// GuestIds: guests' principal ids are negative, never repeat, and never meet an account's.
#include <doctest/doctest.h>

#include <set>
#include <thread>
#include <vector>

#include "server/auth/guest_ids.hpp"

using chat::GuestIds;

TEST_CASE("guest ids are negative and distinct within a run and across runs") {
  std::int64_t runs = 0;
  std::set<std::int64_t> seen;
  for (int start = 0; start < 3; ++start) {
    GuestIds ids([&] { return ++runs; });
    for (int i = 0; i < 100; ++i) {
      const auto id = ids.next();
      CHECK(id < 0);
      CHECK(seen.insert(id).second);
    }
  }
  CHECK(runs == 3);
}

TEST_CASE("concurrent guests never share an id") {
  GuestIds ids([] { return std::int64_t{7}; });
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::vector<std::int64_t>> taken(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) taken[static_cast<std::size_t>(t)].push_back(ids.next());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::int64_t> all;
  for (const auto& some : taken) all.insert(some.begin(), some.end());
  CHECK(all.size() == static_cast<std::size_t>(kThreads * kEach));
  // All of run 7: between -(8 << 32) and -(7 << 32).
  CHECK(*all.begin() > -8 * GuestIds::kPerRun);
  CHECK(*all.rbegin() <= -7 * GuestIds::kPerRun);
}

TEST_CASE("a run is never numbered zero or below") {
  CHECK_THROWS_AS(GuestIds([] { return std::int64_t{0}; }), std::logic_error);
}
