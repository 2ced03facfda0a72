// Behaviour of the priority worker pool. Every wait is bounded (test_sync.hpp); ordering is
// made deterministic by parking the only worker on a gate while the queue is filled.

#include <doctest/doctest.h>

#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/concurrency/pool_clock.hpp"
#include "server/concurrency/thread_name.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "tests/test_sync.hpp"

using namespace std::chrono_literals;
using chat::Priority;
using chat::RejectReason;
using chat::TaskOptions;
using chat::TaskStatus;
using chat::ThreadPool;
using chat::test::eventually;
using chat::test::Gate;
using chat::test::Rendezvous;

namespace {

ThreadPool::Options fixed(std::size_t threads) {
  ThreadPool::Options o;
  o.min_threads = threads;
  o.max_threads = threads;
  return o;
}

TaskOptions with_priority(Priority p) {
  TaskOptions t;
  t.priority = p;
  return t;
}

// Occupies one worker until the gate opens; returns once the task is running.
void park_worker(ThreadPool& pool, Gate& gate) {
  Rendezvous started(1);
  REQUIRE(pool.post([&] {
    started.arrive();
    gate.wait();
  }));
  REQUIRE(started.wait());
}

class Recorder {
 public:
  void add(int v) {
    std::lock_guard lk(m_);
    values_.push_back(v);
  }
  std::vector<int> values() {
    std::lock_guard lk(m_);
    return values_;
  }

 private:
  std::mutex m_;
  std::vector<int> values_;
};

void raise_to(std::atomic<int>& high_water, int value) {
  int seen = high_water.load();
  while (value > seen && !high_water.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

TEST_CASE("a high task queued after a low one runs first when the busy worker frees up") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  Recorder order;
  REQUIRE(pool.post([&] { order.add(1); }, with_priority(Priority::Low)));
  REQUIRE(pool.post([&] { order.add(2); }, with_priority(Priority::High)));
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(order.values() == std::vector<int>{2, 1});
}

TEST_CASE("urgent beats high beats normal beats low") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  Recorder order;
  for (Priority p : {Priority::Low, Priority::Normal, Priority::Urgent, Priority::High}) {
    REQUIRE(pool.post([&order, p] { order.add(static_cast<int>(p)); }, with_priority(p)));
  }
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(order.values() == std::vector<int>{3, 2, 1, 0});
}

TEST_CASE("raise_priority moves a queued task up to the tail of the higher level") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  Recorder order;
  const auto a = pool.post([&] { order.add(1); }, with_priority(Priority::Low));
  const auto b = pool.post([&] { order.add(2); }, with_priority(Priority::Low));
  const auto c = pool.post([&] { order.add(3); }, with_priority(Priority::High));
  REQUIRE((a.ok() && b.ok() && c.ok()));
  CHECK(pool.raise_priority(b.id(), Priority::High));     // behind c, which was High already
  CHECK(pool.raise_priority(a.id(), Priority::Normal));
  CHECK(pool.raise_priority(c.id(), Priority::Low));      // never lowers: still queued at High
  CHECK_FALSE(pool.raise_priority(chat::TaskId{999999}, Priority::Urgent));
  CHECK(pool.stats().queued[chat::index_of(Priority::High)] == 2);
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(order.values() == std::vector<int>{3, 2, 1});
  CHECK_FALSE(pool.raise_priority(a.id(), Priority::Urgent));  // finished
}

TEST_CASE("tasks of one priority run in submission order") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  Recorder order;
  std::vector<int> expected;
  for (int i = 0; i < 200; ++i) {
    expected.push_back(i);
    REQUIRE(pool.post([&order, i] { order.add(i); }, with_priority(Priority::Normal)));
  }
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(order.values() == expected);
}

TEST_CASE("aging lets a low task run under a constant stream of high tasks (fake clock)") {
  auto clock = std::make_shared<chat::ManualClock>();
  auto options = fixed(1);
  options.clock = clock;
  options.age_budgets.low = 100ms;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);

  std::atomic<int> highs{0};
  std::atomic<int> highs_before_low{-1};
  std::atomic<bool> low_done{false};
  constexpr int kChainCap = 1000;  // without aging the low task would wait for all of these
  std::function<void()> high = [&] {
    ++highs;
    clock->advance(10ms);  // each high task "takes" 10 ms of fake time
    if (!low_done && highs < kChainCap) (void)pool.post(high, with_priority(Priority::High));
  };
  REQUIRE(pool.post(
      [&] {
        highs_before_low = highs.load();
        low_done = true;
      },
      with_priority(Priority::Low)));
  // Two in flight, so a high task is always queued whenever the worker picks.
  REQUIRE(pool.post(high, with_priority(Priority::High)));
  REQUIRE(pool.post(high, with_priority(Priority::High)));
  gate.open();
  REQUIRE(eventually([&] { return low_done.load(); }));
  REQUIRE(pool.shutdown());
  // Enqueued at t0; after the 10th high task the fake clock reads t0 + 100 ms = the budget.
  CHECK(highs_before_low.load() == 10);
}

TEST_CASE("an aged task never overtakes an urgent one") {
  auto clock = std::make_shared<chat::ManualClock>();
  auto options = fixed(1);
  options.clock = clock;
  options.age_budgets.low = 100ms;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  Recorder order;
  REQUIRE(pool.post([&] { order.add(0); }, with_priority(Priority::Low)));
  REQUIRE(pool.post([&] { order.add(2); }, with_priority(Priority::High)));
  clock->advance(1s);
  REQUIRE(pool.post([&] { order.add(3); }, with_priority(Priority::Urgent)));
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(order.values() == std::vector<int>{3, 0, 2});
}

TEST_CASE("the pool grows under backlog even when the queue is far from full") {
  ThreadPool::Options options;
  options.min_threads = 1;
  options.max_threads = 4;
  options.queue_capacity = 100;
  ThreadPool pool(options);
  Rendezvous all(4);
  std::atomic<int> met{0};
  for (int i = 0; i < 4; ++i) {
    REQUIRE(pool.post([&] {
      if (all.arrive_and_wait()) ++met;  // only possible if all four run at once
    }));
  }
  REQUIRE(eventually([&] { return pool.stats().completed == 4; }));
  CHECK(met == 4);
  CHECK(pool.stats().peak_threads == 4);
  CHECK(pool.stats().rejected == 0);
}

TEST_CASE("never more than max_threads tasks run, even with 64 threads submitting at once") {
  ThreadPool::Options options;
  options.min_threads = 1;
  options.max_threads = 4;
  options.keep_alive = 1ms;  // threads come and go while the submitters hammer
  options.queue_capacity = 1 << 20;
  ThreadPool pool(options);
  std::atomic<int> running{0}, high_water{0}, done{0};
  constexpr int kThreads = 64, kEach = 200;
  Rendezvous go(kThreads);
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&] {
      go.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        (void)pool.post([&] {
          raise_to(high_water, ++running);
          std::this_thread::yield();
          --running;
          ++done;
        });
      }
    });
  }
  for (auto& t : submitters) t.join();
  // The pool counts a completion after the body returns: wait for the count, not the body.
  REQUIRE(eventually([&] { return pool.stats().completed == static_cast<std::uint64_t>(kThreads * kEach); }));
  CHECK(done == kThreads * kEach);
  CHECK(high_water.load() <= 4);
  CHECK(high_water.load() >= 1);
  CHECK(pool.stats().peak_threads <= 4);
}

TEST_CASE("extra threads exit after keep-alive and the pool never shrinks below min") {
  ThreadPool::Options options;
  options.min_threads = 2;
  options.max_threads = 6;
  options.keep_alive = 20ms;
  ThreadPool pool(options);
  Rendezvous all(6);
  Gate release;
  for (int i = 0; i < 6; ++i) {
    REQUIRE(pool.post([&] {
      all.arrive();
      release.wait();
    }));
  }
  REQUIRE(all.wait());
  CHECK(pool.stats().live_threads == 6);
  release.open();
  REQUIRE(eventually([&] { return pool.stats().live_threads == 2; }));
  for (int i = 0; i < 50; ++i) {  // idle well past several keep-alives
    REQUIRE(pool.stats().live_threads >= 2);
    std::this_thread::sleep_for(2ms);
  }
  CHECK(pool.stats().live_threads == 2);
}

TEST_CASE("keep-alive zero loses no task over 10000 submit-and-wait cycles") {
  ThreadPool::Options options;
  options.min_threads = 0;
  options.max_threads = 2;
  options.keep_alive = 0s;
  ThreadPool pool(options);
  long long sum = 0;
  for (int i = 0; i < 10000; ++i) {
    auto s = pool.try_submit([i] { return i; });
    REQUIRE(s.ok());
    REQUIRE(s.handle().wait_for(chat::test::kPatience) == std::future_status::ready);
    sum += s.handle().get();
  }
  CHECK(sum == 10000LL * 9999 / 2);
  CHECK(pool.stats().completed == 10000);
}

TEST_CASE("with keep-alive zero an idle core thread sleeps instead of spinning") {
  ThreadPool::Options options;
  options.min_threads = 1;
  options.max_threads = 2;
  options.keep_alive = 0s;
  options.idle_spin = ThreadPool::duration::zero();
  ThreadPool pool(options);
  REQUIRE(pool.try_submit([] {}).handle().wait_for(chat::test::kPatience) == std::future_status::ready);
  REQUIRE(eventually([&] { return pool.stats().idle_threads == 1; }));
  const auto cpu_before = std::clock();
  std::this_thread::sleep_for(300ms);
  const double cpu_ms = 1000.0 * static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
  CHECK(cpu_ms < 100.0);  // a core thread re-arming a zero keep-alive would burn all 300 ms
  CHECK(pool.stats().live_threads == 1);
  REQUIRE(pool.try_submit([] {}).handle().wait_for(chat::test::kPatience) == std::future_status::ready);
}

TEST_CASE("spinning or not, no submission is stranded while workers go idle and come back") {
  // Tasks arrive just as a worker finishes its spin or falls asleep: with and without the idle
  // spin, with one and with several submitters, every task must run.
  for (const auto spin : {ThreadPool::duration::zero(), ThreadPool::duration(std::chrono::microseconds(20)),
                          ThreadPool::duration(std::chrono::microseconds(1))}) {
    CAPTURE(spin.count());
    ThreadPool::Options options;
    options.min_threads = 1;
    options.max_threads = 2;
    options.idle_spin = spin;
    ThreadPool pool(options);
    std::atomic<int> ran{0};
    constexpr int kSubmitters = 3, kEach = 2000;
    std::vector<std::thread> submitters;
    for (int t = 0; t < kSubmitters; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          const int before = ran.load();
          CHECK(pool.post([&] { ++ran; }));  // CHECK: a REQUIRE must not throw off the main thread
          // Now and then wait for the pool to catch up, so workers run dry and go idle.
          if ((i + t) % 7 == 0) CHECK(eventually([&] { return ran.load() > before; }));
        }
      });
    }
    for (auto& th : submitters) th.join();
    REQUIRE(eventually([&] { return pool.stats().completed == kSubmitters * kEach; }));
    const auto s = pool.stats();
    CHECK(ran.load() == kSubmitters * kEach);
    CHECK(s.run_time.samples == s.completed);
    CHECK(s.queue_wait.samples == s.completed);
    CHECK(s.live_threads <= 2);
  }
}

TEST_CASE("a full queue refuses at once, counts it, and refuses nothing early") {
  auto options = fixed(1);
  options.queue_capacity = 4;
  options.urgent_reserve = 0;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  for (int i = 0; i < 4; ++i) REQUIRE(pool.post([] {}));  // exactly the capacity fits
  const auto refused = pool.post([] {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.reason() == RejectReason::QueueFull);
  const auto refused_handle = pool.try_submit([] { return 1; });
  REQUIRE_FALSE(refused_handle.ok());
  CHECK(refused_handle.reason() == RejectReason::QueueFull);
  auto s = pool.stats();
  CHECK(s.rejected == 2);
  CHECK(s.queued_total() == 4);
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(pool.stats().completed == 5);
}

TEST_CASE("submit waits for room: times out when none appears, succeeds when it does") {
  auto options = fixed(1);
  options.queue_capacity = 1;
  options.urgent_reserve = 0;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  REQUIRE(pool.post([] {}));
  const auto timed_out = pool.submit([] {}, {}, 20ms);
  REQUIRE_FALSE(timed_out.ok());
  CHECK(timed_out.reason() == RejectReason::Timeout);

  std::atomic<bool> accepted{false};
  std::thread waiter([&] { accepted = pool.submit([] {}, {}, chat::test::kPatience).ok(); });
  std::this_thread::sleep_for(10ms);  // lets the waiter block on the full queue
  gate.open();
  waiter.join();
  CHECK(accepted);
  CHECK(pool.stats().rejected == 1);
}

TEST_CASE("urgent tasks still get in after a low flood filled the queue (reserve)") {
  auto options = fixed(1);
  options.queue_capacity = 4;
  options.urgent_reserve = 2;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  int low_accepted = 0;
  for (int i = 0; i < 10; ++i) low_accepted += pool.post([] {}, with_priority(Priority::Low)).ok() ? 1 : 0;
  CHECK(low_accepted == 4);
  CHECK(pool.post([] {}, with_priority(Priority::High)).reason() == RejectReason::QueueFull);
  CHECK(pool.post([] {}, with_priority(Priority::Urgent)).ok());
  CHECK(pool.post([] {}, with_priority(Priority::Urgent)).ok());
  CHECK(pool.post([] {}, with_priority(Priority::Urgent)).reason() == RejectReason::QueueFull);
  gate.open();
}

TEST_CASE("a start deadline passing in the queue fires the error callback exactly once") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  std::atomic<int> ran{0}, errors{0}, timed_out_errors{0};
  TaskOptions t;
  t.start_deadline = 10ms;
  t.on_success = [&] { ran += 100; };
  t.on_error = [&](std::exception_ptr e) {
    ++errors;
    try {
      std::rethrow_exception(e);
    } catch (const chat::TaskTimedOut&) {
      ++timed_out_errors;
    } catch (...) {
    }
  };
  const auto r = pool.post([&] { ++ran; }, t);
  REQUIRE(r.ok());
  REQUIRE(eventually([&] { return errors > 0; }));  // expired while the worker is still busy
  CHECK(pool.status(r.id()) == TaskStatus::TimedOut);
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(ran == 0);
  CHECK(errors == 1);
  CHECK(timed_out_errors == 1);
  CHECK(pool.stats().timed_out == 1);
}

TEST_CASE("an expired task's callback runs as a pool thread: shutdown there does not join") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  std::atomic<bool> fired{false}, in_pool{false}, joined{true};
  TaskOptions t;
  t.start_deadline = 5ms;
  t.on_error = [&](std::exception_ptr) {
    in_pool = pool.on_worker_thread();
    joined = pool.shutdown();  // would join the watcher from itself, and wait for the parked worker
    fired = true;
  };
  REQUIRE(pool.post([] {}, t));
  REQUIRE(eventually([&] { return fired.load(); }));  // the worker is still parked: the watcher fired it
  CHECK(in_pool);
  CHECK_FALSE(joined);
  CHECK(pool.post([] {}).reason() == RejectReason::ShutDown);
  gate.open();
  CHECK(pool.shutdown());
}

TEST_CASE("a task picked after its start deadline does not run (fake clock)") {
  auto clock = std::make_shared<chat::ManualClock>();
  auto options = fixed(1);
  options.clock = clock;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  std::atomic<int> ran{0}, errors{0};
  TaskOptions t;
  t.start_deadline = 10ms;
  t.on_error = [&](std::exception_ptr) { ++errors; };
  REQUIRE(pool.post([&] { ++ran; }, t));
  REQUIRE(pool.post([&] { ran += 10; }));  // no deadline: runs
  clock->advance(11ms);
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(ran == 10);
  CHECK(errors == 1);
}

TEST_CASE("a run timeout requests stop and ends the task timed out") {
  ThreadPool pool(fixed(1));
  TaskOptions t;
  t.run_timeout = 10ms;
  auto s = pool.try_submit([](std::stop_token token) { return eventually([&] { return token.stop_requested(); }); }, t);
  REQUIRE(s.ok());
  REQUIRE(s.handle().wait_for(chat::test::kPatience) == std::future_status::ready);
  CHECK_THROWS_AS(s.handle().get(), chat::TaskTimedOut);
  CHECK(s.handle().status() == TaskStatus::TimedOut);
  const auto stats = pool.stats();
  CHECK(stats.overdue == 1);
  CHECK(stats.timed_out == 1);
}

TEST_CASE("cancel after the run timeout fired is refused: the task stays timed out") {
  ThreadPool pool(fixed(1));
  Gate release;
  TaskOptions t;
  t.run_timeout = 5ms;
  auto s = pool.try_submit([&](std::stop_token) { (void)release.wait(); }, t);
  REQUIRE(s.ok());
  REQUIRE(eventually([&] { return pool.stats().overdue == 1; }));
  CHECK_FALSE(pool.cancel(s.handle().id()));
  release.open();
  REQUIRE(s.handle().wait_for(chat::test::kPatience) == std::future_status::ready);
  CHECK(s.handle().status() == TaskStatus::TimedOut);
  CHECK(pool.stats().cancelled == 0);
}

TEST_CASE("cancel: a queued task, a running task, an unknown id, and twice") {
  ThreadPool pool(fixed(1));
  Rendezvous started(1);
  std::atomic<bool> saw_stop{false};
  auto running = pool.try_submit([&](std::stop_token token) {
    started.arrive();
    saw_stop = eventually([&] { return token.stop_requested(); });
    return 1;
  });
  REQUIRE(running.ok());
  REQUIRE(started.wait());

  std::atomic<int> ran{0}, errors{0};
  TaskOptions t;
  t.on_error = [&](std::exception_ptr) { ++errors; };
  auto queued = pool.try_submit([&] { ++ran; }, t);
  REQUIRE(queued.ok());

  CHECK(pool.cancel(queued.id()));
  CHECK(pool.status(queued.id()) == TaskStatus::Cancelled);
  CHECK(queued.handle().status() == TaskStatus::Cancelled);
  CHECK(errors == 1);
  CHECK_THROWS_AS(queued.handle().get(), chat::TaskCancelled);
  CHECK_FALSE(pool.cancel(queued.id()));

  CHECK(pool.cancel(running.id()));
  CHECK_FALSE(pool.cancel(running.id()));
  REQUIRE(running.handle().wait_for(chat::test::kPatience) == std::future_status::ready);
  CHECK_THROWS_AS(running.handle().get(), chat::TaskCancelled);
  CHECK(saw_stop);
  CHECK(pool.status(running.id()) == TaskStatus::Cancelled);

  CHECK_FALSE(pool.cancel(chat::TaskId{}));
  CHECK_FALSE(pool.cancel(chat::TaskId{987654321, 3}));
  REQUIRE(pool.shutdown());
  CHECK(ran == 0);
  CHECK(errors == 1);
  CHECK(pool.stats().cancelled == 2);
}

TEST_CASE("a throwing task hands its exception to the future and the worker survives") {
  ThreadPool pool(fixed(1));
  auto bad = pool.try_submit([]() -> int { throw std::runtime_error("boom"); });
  REQUIRE(bad.ok());
  CHECK_THROWS_WITH_AS(bad.handle().get(), "boom", std::runtime_error);
  CHECK(bad.handle().status() == TaskStatus::Failed);
  auto good = pool.try_submit([] { return 7; });
  REQUIRE(good.ok());
  CHECK(good.handle().get() == 7);
  // A posted task that throws with nobody listening is logged; the worker goes on.
  REQUIRE(pool.post([] { throw std::runtime_error("unobserved"); }));
  REQUIRE(pool.shutdown());
  const auto s = pool.stats();
  CHECK(s.failed == 2);
  CHECK(s.completed == 1);
  CHECK(s.live_threads == 0);
}

TEST_CASE("a concurrency class limit holds while other work keeps flowing") {
  auto options = fixed(3);
  options.class_limits = {{"storage", 1}};
  ThreadPool pool(options);
  Gate gate;
  std::atomic<int> in_storage{0}, storage_high{0}, storage_done{0}, other_done{0};
  TaskOptions storage;
  storage.concurrency_class = "storage";
  for (int i = 0; i < 3; ++i) {
    REQUIRE(pool.post(
        [&] {
          raise_to(storage_high, ++in_storage);
          gate.wait();
          --in_storage;
          ++storage_done;
        },
        storage));
  }
  for (int i = 0; i < 20; ++i) REQUIRE(pool.post([&] { ++other_done; }));
  // The blocked class holds one worker; queued storage tasks do not hold back the rest.
  REQUIRE(eventually([&] { return other_done == 20; }));
  CHECK(storage_done == 0);
  CHECK(pool.stats().queued_total() == 2);
  gate.open();
  REQUIRE(eventually([&] { return storage_done == 3; }));
  CHECK(storage_high == 1);
  TaskOptions unknown;
  unknown.concurrency_class = "no-such-class";
  CHECK(pool.post([] {}, unknown).reason() == RejectReason::UnknownClass);
}

TEST_CASE("shutdown drains every queued task, low priority included, then refuses") {
  ThreadPool pool(fixed(1));
  Gate gate;
  park_worker(pool, gate);
  std::atomic<int> ran{0};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(pool.post([&] { ++ran; }, with_priority(Priority::Low)));
    REQUIRE(pool.post([&] { ++ran; }, with_priority(Priority::Normal)));
  }
  std::atomic<bool> closed{false};
  std::thread closer([&] { closed = pool.shutdown(); });
  int late_accepted = 0;
  REQUIRE(eventually([&] {
    const auto r = pool.post([&] { ++ran; });
    if (r.ok()) ++late_accepted;  // shutdown() had not started yet
    return !r.ok() && r.reason() == RejectReason::ShutDown;
  }));
  gate.open();
  closer.join();
  CHECK(closed);
  CHECK(ran == 20 + late_accepted);
  CHECK(pool.stats().live_threads == 0);
}

TEST_CASE("shutdown_now cancels the queue, reports how many, and stops the running task") {
  ThreadPool pool(fixed(1));
  Rendezvous started(1);
  std::atomic<bool> saw_stop{false};
  REQUIRE(pool.post([&](std::stop_token token) {
    started.arrive();
    saw_stop = eventually([&] { return token.stop_requested(); });
  }));
  REQUIRE(started.wait());
  std::atomic<int> ran{0}, cancelled{0};
  TaskOptions t;
  t.on_error = [&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const chat::TaskCancelled&) {
      ++cancelled;
    } catch (...) {
    }
  };
  for (int i = 0; i < 10; ++i) REQUIRE(pool.post([&] { ++ran; }, t));
  CHECK(pool.shutdown_now() == 10);
  CHECK(cancelled == 10);
  CHECK(ran == 0);
  CHECK(saw_stop);
  CHECK(pool.post([] {}).reason() == RejectReason::ShutDown);
  const auto s = pool.stats();
  CHECK(s.cancelled == 10);
  CHECK(s.completed == 1);
}

TEST_CASE("shutdown racing submitters: every submit either runs or is refused") {
  ThreadPool::Options options;
  options.min_threads = 1;
  options.max_threads = 2;
  options.queue_capacity = 1024;
  ThreadPool pool(options);
  std::atomic<long> accepted{0}, ran{0}, refused_full{0};
  std::atomic<bool> other_reason{false};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 8; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 200000; ++i) {
        const auto r = pool.post([&] { ++ran; });
        if (r.ok()) {
          ++accepted;
        } else if (r.reason() == RejectReason::ShutDown) {
          return;
        } else if (r.reason() == RejectReason::QueueFull) {
          ++refused_full;
        } else {
          other_reason = true;
        }
      }
    });
  }
  REQUIRE(eventually([&] { return accepted > 1000; }));
  REQUIRE(pool.shutdown());
  for (auto& t : submitters) t.join();
  CHECK(ran == accepted);
  CHECK_FALSE(other_reason);
  const auto s = pool.stats();
  CHECK(s.completed == static_cast<std::uint64_t>(accepted.load()));
}

TEST_CASE("shutdown twice, and from two threads at once, is safe") {
  ThreadPool::Options options;
  options.min_threads = 2;
  options.max_threads = 4;
  ThreadPool pool(options);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) REQUIRE(pool.post([&] { ++ran; }));
  std::thread a([&] { (void)pool.shutdown(); });
  std::thread b([&] { (void)pool.shutdown_now(); });
  a.join();
  b.join();
  CHECK(pool.shutdown());
  CHECK(pool.shutdown_now() == 0);
  const auto s = pool.stats();
  CHECK(s.live_threads == 0);
  CHECK(s.completed + s.cancelled == 100);
  CHECK(static_cast<std::uint64_t>(ran.load()) == s.completed);
}

TEST_CASE("creating and destroying a pool 10000 times neither hangs nor loses a task") {
  std::atomic<int> settled{0};
  int posted = 0;
  for (int i = 0; i < 10000; ++i) {
    ThreadPool::Options options;
    options.min_threads = 1;
    options.max_threads = 2;
    ThreadPool pool(options);
    if (i % 50 == 0) {
      TaskOptions t;
      t.on_success = [&] { ++settled; };
      t.on_error = [&](std::exception_ptr) { ++settled; };  // cancelled by the destructor
      REQUIRE(pool.post([] {}, t));
      ++posted;
    }
  }
  CHECK(settled == posted);
}

TEST_CASE("waiting on the pool from one of its own workers is refused") {
  auto options = fixed(1);
  options.queue_capacity = 1;
  options.urgent_reserve = 0;
  ThreadPool pool(options);
  std::atomic<bool> on_worker{false}, get_refused{false}, submit_refused{false};
  auto outer = pool.try_submit([&] {
    on_worker = pool.on_worker_thread();
    auto inner = pool.try_submit([] { return 1; });  // queued behind us: the only worker is busy
    if (!inner.ok()) return;
    try {
      (void)inner.handle().get();
    } catch (const chat::WouldDeadlock&) {
      get_refused = true;
    }
    const auto r = pool.submit([] {}, {}, 10s);  // the queue is full: waiting would deadlock
    submit_refused = !r.ok() && r.reason() == RejectReason::WouldDeadlock;
  });
  REQUIRE(outer.ok());
  REQUIRE(outer.handle().wait_for(chat::test::kPatience) == std::future_status::ready);
  outer.handle().get();
  CHECK(on_worker);
  CHECK(get_refused);
  CHECK(submit_refused);
  CHECK_FALSE(pool.on_worker_thread());

  ThreadPool other(fixed(1));
  auto joiner = other.try_submit([&] { return other.shutdown(); });
  REQUIRE(joiner.ok());
  CHECK_FALSE(joiner.handle().get());  // refused to join itself; intake is stopped
  CHECK(other.post([] {}).reason() == RejectReason::ShutDown);
  CHECK(other.shutdown());
}

TEST_CASE("stats never overestimate and always add up") {
  ThreadPool::Options options;
  options.min_threads = 2;
  options.max_threads = 4;
  options.keep_alive = 1ms;
  ThreadPool pool(options);
  std::atomic<std::uint64_t> attempts{0}, bodies_done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> submitters;
  for (int t = 0; t < 4; ++t) {
    submitters.emplace_back([&] {
      for (int i = 0; i < 2000 && !stop; ++i) {
        ++attempts;
        (void)pool.post(
            [&] {
              std::this_thread::yield();
              ++bodies_done;
            },
            with_priority(static_cast<Priority>(i % 4)));
      }
    });
  }
  bool consistent = true;
  for (int i = 0; i < 2000 && consistent; ++i) {
    const auto s = pool.stats();
    const auto done_after = bodies_done.load();
    const auto attempts_after = attempts.load();
    consistent = s.completed <= done_after && s.submitted <= attempts_after &&
                 s.submitted == s.completed + s.failed + s.cancelled + s.timed_out + s.running + s.queued_total() &&
                 s.running <= s.live_threads && s.live_threads <= 4 && s.idle_threads <= s.live_threads &&
                 s.peak_threads <= 4 && s.queue_wait.samples <= s.submitted &&
                 s.run_time.samples >= s.completed && s.run_time.samples <= s.submitted;
  }
  stop = true;
  for (auto& t : submitters) t.join();
  CHECK(consistent);
  REQUIRE(pool.shutdown());
  const auto s = pool.stats();
  CHECK(s.completed == bodies_done.load());
  CHECK(s.run_time.samples == s.completed);
  CHECK(s.queue_wait.p99 >= std::chrono::nanoseconds(0));
}

TEST_CASE("status answers by id for queued, running and finished tasks") {
  ThreadPool pool(fixed(1));
  Gate gate;
  Rendezvous started(1);
  const auto running = pool.post([&] {
    started.arrive();
    gate.wait();
  });
  REQUIRE(running);
  REQUIRE(started.wait());
  const auto queued = pool.post([] {});
  REQUIRE(queued);
  CHECK(pool.status(running.id()) == TaskStatus::Running);
  CHECK(pool.status(queued.id()) == TaskStatus::Queued);
  gate.open();
  REQUIRE(eventually([&] { return pool.status(queued.id()) == TaskStatus::Completed; }));
  CHECK(pool.status(running.id()) == TaskStatus::Completed);
  CHECK_FALSE(pool.status(chat::TaskId{424242, 0}).has_value());
}

TEST_CASE("worker threads are named after the prefix") {
  auto options = fixed(1);
  options.thread_name_prefix = "chatw";
  ThreadPool pool(options);
  auto name = pool.try_submit([] { return chat::current_thread_name(); });
  REQUIRE(name.ok());
  CHECK(name.handle().get() == "chatw-0");
}

TEST_CASE("post_all accepts a group whole or not at all") {
  auto options = fixed(1);
  options.queue_capacity = 3;
  options.urgent_reserve = 0;
  ThreadPool pool(options);
  Gate gate;
  park_worker(pool, gate);
  std::atomic<int> ran{0};
  std::vector<chat::PostRequest> four(4);
  for (auto& r : four) r.work = [&](std::stop_token) { ++ran; };
  CHECK(pool.post_all(four).reason() == RejectReason::QueueFull);
  CHECK(pool.stats().queued_total() == 0);
  std::vector<chat::PostRequest> three(3);
  for (auto& r : three) r.work = [&](std::stop_token) { ++ran; };
  CHECK(pool.post_all(three).ok());
  gate.open();
  REQUIRE(pool.shutdown());
  CHECK(ran == 3);
}

TEST_CASE("inconsistent options are rejected at construction") {
  ThreadPool::Options none;
  none.max_threads = 0;
  CHECK_THROWS_AS(ThreadPool{none}, std::invalid_argument);
  ThreadPool::Options inverted;
  inverted.min_threads = 3;
  inverted.max_threads = 2;
  CHECK_THROWS_AS(ThreadPool{inverted}, std::invalid_argument);
  ThreadPool::Options zero_class;
  zero_class.class_limits = {{"storage", 0}};
  CHECK_THROWS_AS(ThreadPool{zero_class}, std::invalid_argument);
}
