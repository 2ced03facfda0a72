// Worker pool micro-benchmarks: empty-task throughput and submit-to-start latency of
// chat::ThreadPool vs boost::asio::thread_pool vs a plain mutex + condition-variable pool,
// all with 2 workers. Drain is awaited with a latch and task counts are verified.
// Run by hand: ./bench_thread_pool  (figures go to docs/benchmarks.md).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <ctime>
#include <condition_variable>
#include <deque>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "server/concurrency/thread_pool.hpp"

namespace {

constexpr int kWorkers = 2;

class ChatPool {
 public:
  ChatPool() : pool_(options()) {}
  template <class F>
  bool post(F&& f) {
    return pool_.post(std::forward<F>(f)).ok();
  }

 private:
  static chat::ThreadPool::Options options() {
    chat::ThreadPool::Options o;
    o.min_threads = kWorkers;
    o.max_threads = kWorkers;
    o.queue_capacity = 1 << 22;
    if (const char* s = std::getenv("POOL_SPIN_US")) o.idle_spin = std::chrono::microseconds(std::atoi(s));
    return o;
  }
  chat::ThreadPool pool_;
};

class AsioPool {
 public:
  template <class F>
  bool post(F&& f) {
    boost::asio::post(pool_, std::forward<F>(f));
    return true;
  }
  ~AsioPool() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_{kWorkers};
};

// The textbook pool: one mutex, one condition variable, one deque of std::function.
class MutexCvPool {
 public:
  MutexCvPool() {
    for (int i = 0; i < kWorkers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~MutexCvPool() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  template <class F>
  bool post(F&& f) {
    {
      std::lock_guard lk(m_);
      q_.emplace_back(std::forward<F>(f));
    }
    cv_.notify_one();
    return true;
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lk(m_);
        cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
        if (q_.empty()) return;
        task = std::move(q_.front());
        q_.pop_front();
      }
      task();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

template <class Pool, class F>
void post_retrying(Pool& pool, F f) {
  while (!pool.post(f)) std::this_thread::yield();
}

// CPU time of the whole process (every producer and worker thread).
std::chrono::nanoseconds process_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Empty tasks from `producers` threads; one iteration = kTasks tasks posted and drained.
// Besides the rate, reports the CPU time all threads spent per task: on a shared machine the
// rate swings with other load, the CPU cost per task much less.
template <class Pool>
void BM_EmptyTaskThroughput(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  constexpr int kTasks = 200000;
  Pool pool;
  const auto cpu_before = process_cpu_time();
  for (auto _ : state) {
    std::latch drained(kTasks);
    std::atomic<int> ran{0};
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      const int share = kTasks / producers + (p < kTasks % producers ? 1 : 0);
      threads.emplace_back([&, share] {
        for (int i = 0; i < share; ++i) {
          post_retrying(pool, [&drained, &ran] {
            ran.fetch_add(1, std::memory_order_relaxed);
            drained.count_down();
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    drained.wait();
    if (ran.load() != kTasks) state.SkipWithError("task count mismatch");
  }
  const auto cpu = process_cpu_time() - cpu_before;
  state.SetItemsProcessed(state.iterations() * kTasks);
  state.counters["cpu_ns_per_task"] =
      static_cast<double>(cpu.count()) / static_cast<double>(state.iterations() * kTasks);
}

using Clock = std::chrono::steady_clock;

void report_percentiles(benchmark::State& state, std::vector<std::int64_t>& ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    const auto i = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
    return static_cast<double>(ns[i]) / 1000.0;
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
  state.counters["p999_us"] = at(0.999);
}

// Not saturated: one task at a time, the next posted once the previous has started.
template <class Pool>
void BM_SubmitToStartIdle(benchmark::State& state) {
  constexpr int kSamples = 20000;
  Pool pool;
  std::vector<std::int64_t> all;
  for (auto _ : state) {
    std::vector<std::int64_t> ns(kSamples);
    for (int i = 0; i < kSamples; ++i) {
      std::atomic<bool> started{false};
      const auto t0 = Clock::now();
      post_retrying(pool, [&started, slot = &ns[static_cast<std::size_t>(i)], t0] {
        *slot = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
        started.store(true, std::memory_order_release);
      });
      while (!started.load(std::memory_order_acquire)) {
      }
    }
    all.insert(all.end(), ns.begin(), ns.end());
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
  report_percentiles(state, all);
}

// Saturated: `producers` threads post as fast as they can; latency includes queueing.
template <class Pool>
void BM_SubmitToStartSaturated(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  constexpr int kTasks = 100000;
  Pool pool;
  std::vector<std::int64_t> all;
  for (auto _ : state) {
    std::vector<std::int64_t> ns(kTasks);
    std::latch drained(kTasks);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = p; i < kTasks; i += producers) {
          const auto t0 = Clock::now();
          post_retrying(pool, [&drained, slot = &ns[static_cast<std::size_t>(i)], t0] {
            *slot = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
            drained.count_down();
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    drained.wait();
    all.insert(all.end(), ns.begin(), ns.end());
  }
  state.SetItemsProcessed(state.iterations() * kTasks);
  report_percentiles(state, all);
}

#define POOL_BENCHMARKS(Pool)                                                                     \
  BENCHMARK_TEMPLATE(BM_EmptyTaskThroughput, Pool)->Arg(1)->Arg(2)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond); \
  BENCHMARK_TEMPLATE(BM_SubmitToStartIdle, Pool)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);            \
  BENCHMARK_TEMPLATE(BM_SubmitToStartSaturated, Pool)->Arg(1)->Arg(2)->Arg(8)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

POOL_BENCHMARKS(ChatPool)
POOL_BENCHMARKS(AsioPool)
POOL_BENCHMARKS(MutexCvPool)

}  // namespace

BENCHMARK_MAIN();
