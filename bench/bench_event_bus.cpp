// Event bus micro-benchmarks: publish -> handler throughput, with and without ordering keys,
// on a 2-worker pool. Drain is awaited with a latch and delivery counts are verified.
// Run by hand: ./bench_event_bus  (figures go to docs/benchmarks.md).

#include <benchmark/benchmark.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "server/concurrency/event_bus.hpp"
#include "server/concurrency/thread_pool.hpp"

namespace {

struct Message {
  int room = 0;
  int seq = 0;
};

chat::ThreadPool::Options two_workers() {
  chat::ThreadPool::Options o;
  o.min_threads = 2;
  o.max_threads = 2;
  o.queue_capacity = 1 << 22;
  return o;
}

// range(0): number of ordering keys (0 = no key); range(1): subscribers per event.
void BM_PublishToHandler(benchmark::State& state) {
  const int keys = static_cast<int>(state.range(0));
  const int subscribers = static_cast<int>(state.range(1));
  constexpr int kEvents = 100000;
  chat::ThreadPool pool(two_workers());
  chat::EventBus::Options bus_options;
  bus_options.max_backlog = 1 << 22;
  chat::EventBus bus(pool, bus_options);
  std::vector<std::string> names;
  for (int k = 0; k < keys; ++k) names.push_back("room-" + std::to_string(k));
  for (auto _ : state) {
    std::latch drained(static_cast<std::ptrdiff_t>(kEvents) * subscribers);
    std::atomic<long> handled{0};
    std::vector<chat::Subscription> subs;
    for (int s = 0; s < subscribers; ++s) {
      subs.push_back(bus.subscribe<Message>([&](const Message&) {
        handled.fetch_add(1, std::memory_order_relaxed);
        drained.count_down();
      }));
    }
    for (int i = 0; i < kEvents; ++i) {
      chat::PublishOptions o;
      if (keys > 0) o.key = names[static_cast<std::size_t>(i % keys)];
      while (!bus.publish(Message{i % (keys > 0 ? keys : 1), i}, o)) std::this_thread::yield();
    }
    drained.wait();
    if (handled.load() != static_cast<long>(kEvents) * subscribers) state.SkipWithError("delivery count mismatch");
  }
  state.SetItemsProcessed(state.iterations() * kEvents * subscribers);
}

BENCHMARK(BM_PublishToHandler)
    ->ArgNames({"keys", "subs"})
    ->Args({0, 1})
    ->Args({0, 4})
    ->Args({1, 1})
    ->Args({64, 1})
    ->Args({64, 4})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
