// Behaviour of run_batch: order of results, concurrency limit, per-task and overall timeouts.

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <vector>

#include "server/concurrency/batch_runner.hpp"
#include "tests/test_sync.hpp"

using namespace std::chrono_literals;
using chat::BatchOptions;
using chat::ThreadPool;
using chat::test::eventually;
using chat::test::Gate;

namespace {
ThreadPool::Options workers(std::size_t n) {
  ThreadPool::Options o;
  o.min_threads = n;
  o.max_threads = n;
  return o;
}
}  // namespace

TEST_CASE("a batch returns each result or error in input order") {
  ThreadPool pool(workers(2));
  std::vector<std::function<int(std::stop_token)>> tasks;
  tasks.emplace_back([](std::stop_token) { return 10; });
  tasks.emplace_back([](std::stop_token) -> int { throw std::runtime_error("second fails"); });
  tasks.emplace_back([](std::stop_token t) {  // overruns its per-task timeout, honours the stop
    (void)eventually([&] { return t.stop_requested(); });
    return 30;
  });
  tasks.emplace_back([](std::stop_token) { return 40; });
  BatchOptions options;
  options.max_concurrency = 2;
  // Long enough for the quick tasks to finish within it on a busy machine under a sanitizer.
  options.task_timeout = 500ms;
  const auto results = chat::run_batch(pool, std::move(tasks), options);
  REQUIRE(results.size() == 4);
  CHECK(results[0].value() == 10);
  CHECK_THROWS_WITH_AS(results[1].value(), "second fails", std::runtime_error);
  CHECK_THROWS_AS(results[2].value(), chat::TaskTimedOut);
  CHECK(results[3].value() == 40);
}

TEST_CASE("a batch never runs more tasks at once than its limit") {
  ThreadPool pool(workers(4));
  std::atomic<int> running{0}, high{0};
  std::vector<std::function<void()>> tasks(40, [&] {
    const int now = ++running;
    int seen = high.load();
    while (now > seen && !high.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(1ms);  // gives the limit a chance to be violated
    --running;
  });
  BatchOptions options;
  options.max_concurrency = 2;
  const auto results = chat::run_batch(pool, std::move(tasks), options);
  CHECK(results.size() == 40);
  for (const auto& r : results) CHECK(r.has_value());
  CHECK(high.load() <= 2);
  CHECK(high.load() >= 1);
}

TEST_CASE("the overall timeout returns at once and cancels what is unfinished") {
  ThreadPool pool(workers(1));
  Gate gate;
  std::atomic<int> late_runs{0};
  std::vector<std::function<int()>> tasks;
  tasks.emplace_back([] { return 1; });
  tasks.emplace_back([&] {  // ignores stop requests: only the overall timeout ends the wait
    (void)gate.wait();
    return 2;
  });
  tasks.emplace_back([&] {
    ++late_runs;
    return 3;
  });
  BatchOptions options;
  options.max_concurrency = 3;
  options.overall_timeout = 500ms;  // the quick task finishes within it, even on a busy machine
  const auto results = chat::run_batch(pool, std::move(tasks), options);
  REQUIRE(results.size() == 3);
  CHECK(results[0].value() == 1);
  CHECK_THROWS_AS(results[1].value(), chat::TaskTimedOut);
  CHECK_THROWS_AS(results[2].value(), chat::TaskTimedOut);
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(late_runs == 0);  // it was still queued, so it was cancelled
}

TEST_CASE("a batch refuses to run from a worker of its own pool") {
  ThreadPool pool(workers(1));
  auto s = pool.try_submit([&] {
    try {
      (void)chat::run_batch(pool, std::vector<std::function<void()>>{[] {}}, BatchOptions{});
    } catch (const chat::WouldDeadlock&) {
      return true;
    }
    return false;
  });
  REQUIRE(s.ok());
  CHECK(s.handle().get());
}
