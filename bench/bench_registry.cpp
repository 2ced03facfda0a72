// Broadcast read path of a room: take a consistent view of the subscribers,
// then deliver to each. Compares
//   LockedCopy      - vector under a std::shared_mutex, copied under the shared lock;
//   Cow/SharedMutex - copy-on-write list, pointer guarded by a std::shared_mutex (chat::SharedSnapshot);
//   Cow/Atomic      - copy-on-write list, pointer in a std::atomic<std::shared_ptr>;
//   Room            - the production chat::Room::broadcast;
// for 50 and 500 subscribers, alone and with a thread joining and leaving
// the room non-stop. Run by hand; figures go to docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/registry/participant.hpp"
#include "server/registry/room.hpp"
#include "server/registry/shared_snapshot.hpp"
#include "server/registry/room_subscriber.hpp"

namespace {

using chat::RoomSubscriber;
using Frame = std::shared_ptr<const std::string>;
using List = std::vector<RoomSubscriber>;

class NoopParticipant final : public chat::Participant {
 public:
  explicit NoopParticipant(std::uint64_t id) : id_(id) {}
  std::uint64_t connection_id() const noexcept override { return id_; }
  bool deliver(Frame frame) override {
    benchmark::DoNotOptimize(frame.get());
    return true;
  }

 private:
  std::uint64_t id_;
};

RoomSubscriber make_subscriber(std::uint64_t id) {
  return RoomSubscriber{"user" + std::to_string(id), std::make_shared<NoopParticipant>(id), id};
}

void deliver_all(const List& subscribers, const Frame& frame) {
  for (const RoomSubscriber& s : subscribers) {
    s.participant->deliver(frame);
  }
}

// The naive design: readers copy the whole list under the shared lock.
class LockedCopy {
 public:
  void join(RoomSubscriber s) {
    std::unique_lock lock(mutex_);
    list_.push_back(std::move(s));
  }
  void leave(std::uint64_t id) {
    std::unique_lock lock(mutex_);
    std::erase_if(list_, [id](const RoomSubscriber& s) { return s.connection_id == id; });
  }
  void broadcast(const Frame& frame) const {
    List copy;
    {
      std::shared_lock lock(mutex_);
      copy = list_;
    }
    deliver_all(copy, frame);
  }

 private:
  mutable std::shared_mutex mutex_;
  List list_;
};

// The same interface as chat::SharedSnapshot, on std::atomic<std::shared_ptr>.
template <class T>
class AtomicSnapshot {
 public:
  explicit AtomicSnapshot(std::shared_ptr<const T> initial) : current_(std::move(initial)) {}
  std::shared_ptr<const T> load() const { return current_.load(std::memory_order_acquire); }
  std::shared_ptr<const T> exchange(std::shared_ptr<const T> next) {
    return current_.exchange(std::move(next), std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::shared_ptr<const T>> current_;
};

// Copy-on-write list parameterized on the pointer cell, so the two cells are
// compared with everything else equal.
template <template <class> class Cell>
class Cow {
 public:
  void join(RoomSubscriber s) {
    std::shared_ptr<const List> previous;
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<List>(*cell_.load());
    next->push_back(std::move(s));
    previous = cell_.exchange(std::move(next));
  }
  void leave(std::uint64_t id) {
    std::shared_ptr<const List> previous;
    std::lock_guard lock(write_mutex_);
    auto next = std::make_shared<List>(*cell_.load());
    std::erase_if(*next, [id](const RoomSubscriber& s) { return s.connection_id == id; });
    previous = cell_.exchange(std::move(next));
  }
  void broadcast(const Frame& frame) const { deliver_all(*cell_.load(), frame); }

 private:
  std::mutex write_mutex_;
  Cell<List> cell_{std::make_shared<const List>()};
};

class ProductionRoom {
 public:
  void join(RoomSubscriber s) { room_.subscribe(s.user, std::move(s.participant)); }
  void leave(std::uint64_t id) { room_.unsubscribe(id); }
  void broadcast(const Frame& frame) const { room_.broadcast(frame); }

 private:
  chat::Room room_{"bench", {}};
};

// state.range(0): subscribers; state.range(1): 1 = a thread joins and leaves meanwhile.
template <class Impl>
void BM_Broadcast(benchmark::State& state) {
  const auto subscribers = static_cast<std::uint64_t>(state.range(0));
  Impl room;
  for (std::uint64_t id = 0; id < subscribers; ++id) {
    room.join(make_subscriber(id));
  }
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> churn_ops{0};
  std::thread churn;
  if (state.range(1) != 0) {
    churn = std::thread([&] {
      const std::uint64_t id = subscribers;  // one extra connection, in and out
      while (!stop.load(std::memory_order_relaxed)) {
        room.join(make_subscriber(id));
        room.leave(id);
        churn_ops.fetch_add(2, std::memory_order_relaxed);
      }
    });
  }
  const Frame frame = std::make_shared<const std::string>(R"({"type":"message","text":"hello"})");
  for (auto _ : state) {
    room.broadcast(frame);
  }
  stop.store(true);
  if (churn.joinable()) {
    churn.join();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(subscribers));
  state.counters["joins_leaves/s"] =
      benchmark::Counter(static_cast<double>(churn_ops.load()), benchmark::Counter::kIsRate);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"subs", "churn"});
  for (const std::int64_t churn : {0, 1}) {
    for (const std::int64_t subs : {50, 500}) {
      b->Args({subs, churn});
    }
  }
  b->UseRealTime();  // with churn, wall time is what a broadcast costs
}

BENCHMARK(BM_Broadcast<LockedCopy>)->Name("LockedCopy")->Apply(Args);
BENCHMARK(BM_Broadcast<Cow<chat::SharedSnapshot>>)->Name("Cow/SharedMutex")->Apply(Args);
BENCHMARK(BM_Broadcast<Cow<AtomicSnapshot>>)->Name("Cow/Atomic")->Apply(Args);
BENCHMARK(BM_Broadcast<ProductionRoom>)->Name("Room")->Apply(Args);

}  // namespace

int main(int argc, char** argv) {
  // A server is multi-threaded. libstdc++ keeps shared_ptr counts non-atomic
  // until a process starts its first thread (__libc_single_threaded), so
  // without this the benchmarks that run before the first churn thread would
  // measure a cheaper path than a server ever takes.
  std::thread([] {}).join();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
