// Behaviour of the event bus: fan-out, failure isolation, unsubscribe guarantee, per-key order,
// parallelism across keys, and refusals.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "server/concurrency/event_bus.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "tests/test_sync.hpp"

using namespace std::chrono_literals;
using chat::EventBus;
using chat::Priority;
using chat::PublishOptions;
using chat::PublishRefusal;
using chat::ThreadPool;
using chat::test::eventually;
using chat::test::Gate;
using chat::test::Rendezvous;

namespace {

struct ChatMessage {
  std::string room;
  int publisher = 0;
  int seq = 0;
};
struct Ping {
  int n = 0;
};

ThreadPool::Options workers(std::size_t n) {
  ThreadPool::Options o;
  o.min_threads = n;
  o.max_threads = n;
  return o;
}

PublishOptions keyed(std::string key) {
  PublishOptions o;
  o.key = std::move(key);
  return o;
}

}  // namespace

TEST_CASE("every subscriber of a type gets every event once, other types none") {
  ThreadPool pool(workers(2));
  EventBus bus(pool);
  std::atomic<int> a{0}, b{0}, c{0}, pings{0};
  auto s1 = bus.subscribe<ChatMessage>([&](const ChatMessage& m) { a += m.seq; });
  auto s2 = bus.subscribe<ChatMessage>([&](const ChatMessage& m) { b += m.seq; }, Priority::High);
  auto s3 = bus.subscribe<ChatMessage>([&](const ChatMessage& m) { c += m.seq; }, Priority::Low);
  auto s4 = bus.subscribe<Ping>([&](const Ping&) { ++pings; });
  for (int i = 1; i <= 100; ++i) {
    const auto r = bus.publish(ChatMessage{"lobby", 0, i});
    REQUIRE(r.ok());
    CHECK(r.deliveries() == 3);
  }
  // The backlog is released just after a delivery is counted: wait for both.
  REQUIRE(eventually([&] { return bus.stats().delivered == 300 && bus.stats().backlog == 0; }));
  CHECK(a == 5050);
  CHECK(b == 5050);
  CHECK(c == 5050);
  CHECK(pings == 0);
  CHECK(bus.stats().published == 100);
  CHECK(bus.stats().backlog == 0);
}

TEST_CASE("a throwing handler is counted and the other handlers still run") {
  ThreadPool pool(workers(2));
  EventBus bus(pool);
  std::atomic<int> good{0};
  auto bad = bus.subscribe<Ping>([](const Ping&) { throw std::runtime_error("handler failure"); });
  auto ok = bus.subscribe<Ping>([&](const Ping&) { ++good; });
  for (int i = 0; i < 10; ++i) REQUIRE(bus.publish(Ping{i}));
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  const auto s = bus.stats();
  CHECK(good == 10);
  CHECK(s.handler_failures == 10);
  CHECK(s.delivered == 10);
}

TEST_CASE("after unsubscribe returns the handler is not running and never starts again") {
  ThreadPool pool(workers(1));  // the other 49 deliveries wait in the queue behind the first
  EventBus bus(pool);
  Gate release;
  Rendezvous first_call(1);
  std::atomic<int> calls{0};
  std::atomic<bool> unsubscribed{false}, ran_after_unsubscribe{false}, inside{false};
  auto sub = bus.subscribe<Ping>([&](const Ping&) {
    if (unsubscribed) ran_after_unsubscribe = true;
    inside = true;
    if (++calls == 1) {
      first_call.arrive();
      (void)release.wait();
    }
    inside = false;
  });
  for (int i = 0; i < 50; ++i) REQUIRE(bus.publish(Ping{i}));  // in flight when we unsubscribe
  REQUIRE(first_call.wait());
  std::atomic<bool> returned{false};
  std::thread unsubscriber([&] {
    sub.unsubscribe();
    returned = true;
    unsubscribed = true;
    CHECK_FALSE(inside.load());  // not running once unsubscribe has returned
  });
  std::this_thread::sleep_for(10ms);  // lets unsubscribe reach its wait
  CHECK_FALSE(returned);              // it waits for the running call
  release.open();
  unsubscriber.join();
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK_FALSE(ran_after_unsubscribe);
  CHECK(bus.stats().delivered == 1);
  CHECK(bus.stats().skipped == 49);  // accepted before the unsubscribe, never started
}

TEST_CASE("a handler may unsubscribe itself without deadlocking") {
  ThreadPool pool(workers(2));
  EventBus bus(pool);
  chat::Subscription sub;
  std::atomic<int> calls{0};
  sub = bus.subscribe<Ping>([&](const Ping&) {
    ++calls;
    sub.unsubscribe();  // returns at once: the running call is this one
  });
  for (int i = 0; i < 20; ++i) REQUIRE(bus.publish(Ping{i}));
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK(calls >= 1);
  CHECK(calls <= 2);  // two workers: at most one other call was already past the gate
  CHECK_FALSE(sub.active());
}

TEST_CASE("two running calls of one handler may both unsubscribe it without deadlocking") {
  ThreadPool pool(workers(2));
  EventBus bus(pool);
  chat::Subscription sub;
  Rendezvous both_inside(2);
  std::atomic<int> returned{0};
  sub = bus.subscribe<Ping>([&](const Ping&) {
    (void)both_inside.arrive_and_wait();  // both calls run at once before either unsubscribes
    sub.unsubscribe();
    ++returned;
  });
  REQUIRE(bus.publish(Ping{1}));
  REQUIRE(bus.publish(Ping{2}));
  REQUIRE(both_inside.wait());
  REQUIRE(eventually([&] { return returned == 2; }));
  CHECK_FALSE(sub.active());
  REQUIRE(bus.publish(Ping{3}));
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK(returned == 2);  // no call started after the unsubscribe
}

TEST_CASE("events with one key are handled one at a time in publish order (8 publishers, 4 workers)") {
  ThreadPool pool(workers(4));
  EventBus bus(pool);
  constexpr int kPublishers = 8, kPerPublisher = 300, kRooms = 3;
  std::mutex m;
  std::map<std::pair<std::string, int>, int> last_seq;  // (room, publisher) -> last seq seen
  std::map<std::string, std::atomic<int>> in_room;
  for (int r = 0; r < kRooms; ++r) in_room["room-" + std::to_string(r)] = 0;
  std::atomic<bool> out_of_order{false}, overlapped{false};
  std::atomic<int> handled{0};
  auto sub = bus.subscribe<ChatMessage>([&](const ChatMessage& msg) {
    if (++in_room.at(msg.room) != 1) overlapped = true;
    {
      std::lock_guard lk(m);
      int& last = last_seq[{msg.room, msg.publisher}];
      if (msg.seq != last + 1) out_of_order = true;
      last = msg.seq;
    }
    std::this_thread::yield();
    --in_room.at(msg.room);
    ++handled;
  });
  std::vector<std::thread> publishers;
  std::atomic<int> refused{0};
  for (int p = 0; p < kPublishers; ++p) {
    publishers.emplace_back([&, p] {
      for (int i = 1; i <= kPerPublisher; ++i) {
        const std::string room = "room-" + std::to_string((p + i) % kRooms);
        // Per (room, publisher) sequence numbers: count how many this publisher sent to the room.
        static thread_local std::map<std::string, int> sent;
        PublishOptions o = keyed(room);
        o.priority = static_cast<Priority>(i % 4);  // priorities must not reorder within a key
        if (!bus.publish(ChatMessage{room, p, ++sent[room]}, o)) ++refused;
      }
    });
  }
  for (auto& t : publishers) t.join();
  REQUIRE(refused == 0);
  REQUIRE(eventually([&] { return handled == kPublishers * kPerPublisher; }));
  CHECK_FALSE(out_of_order);
  CHECK_FALSE(overlapped);
  REQUIRE(eventually([&] { return bus.stats().keys_active == 0; }));  // idle keys are released
}

TEST_CASE("different keys are handled in parallel") {
  ThreadPool pool(workers(2));
  EventBus bus(pool);
  Rendezvous both(2);
  std::atomic<int> met{0};
  auto sub = bus.subscribe<ChatMessage>([&](const ChatMessage&) {
    if (both.arrive_and_wait()) ++met;  // only possible if both keys run at once
  });
  REQUIRE(bus.publish(ChatMessage{"a", 0, 1}, keyed("a")));
  REQUIRE(bus.publish(ChatMessage{"b", 0, 1}, keyed("b")));
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK(met == 2);
}

TEST_CASE("a per-event priority override orders handlers on the pool") {
  ThreadPool pool(workers(1));
  EventBus bus(pool);
  Gate gate;
  Rendezvous parked(1);
  REQUIRE(pool.post([&] {
    parked.arrive();
    (void)gate.wait();
  }));
  REQUIRE(parked.wait());
  std::mutex m;
  std::vector<int> order;
  auto sub = bus.subscribe<Ping>(
      [&](const Ping& p) {
        std::lock_guard lk(m);
        order.push_back(p.n);
      },
      Priority::Low);
  REQUIRE(bus.publish(Ping{1}));
  PublishOptions urgent;
  urgent.priority = Priority::Urgent;
  REQUIRE(bus.publish(Ping{2}, urgent));
  gate.open();
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  std::lock_guard lk(m);
  CHECK(order == std::vector<int>{2, 1});
}

TEST_CASE("an urgent event for a busy key lifts the key ahead of older, lower work") {
  ThreadPool pool(workers(1));
  EventBus bus(pool);
  Gate gate;
  Rendezvous parked(1);
  REQUIRE(pool.post([&] {
    parked.arrive();
    (void)gate.wait();
  }));
  REQUIRE(parked.wait());
  std::mutex m;
  std::vector<std::string> order;
  auto record = [&](std::string what) {
    std::lock_guard lk(m);
    order.push_back(std::move(what));
  };
  auto sub = bus.subscribe<ChatMessage>([&](const ChatMessage& msg) { record(msg.room + "-" + std::to_string(msg.seq)); });
  PublishOptions low = keyed("room");
  low.priority = Priority::Low;
  REQUIRE(bus.publish(ChatMessage{"room", 0, 1}, low));  // the key's task waits at Low
  chat::TaskOptions normal;
  normal.priority = Priority::Normal;
  REQUIRE(pool.post([&] { record("normal"); }, normal));
  PublishOptions urgent = keyed("room");
  urgent.priority = Priority::Urgent;
  REQUIRE(bus.publish(ChatMessage{"room", 0, 2}, urgent));  // lifts the waiting key task
  gate.open();
  REQUIRE(eventually([&] { return pool.stats().completed == 4; }));
  std::lock_guard lk(m);
  // The key keeps its own order (1 before 2) but as a whole goes ahead of the Normal task.
  CHECK(order == std::vector<std::string>{"room-1", "room-2", "normal"});
}

TEST_CASE("a keyed event naming an unknown concurrency class is refused even on an active key") {
  ThreadPool pool(workers(1));
  EventBus bus(pool);
  Gate gate;
  auto sub = bus.subscribe<Ping>([&](const Ping&) { (void)gate.wait(); });
  REQUIRE(bus.publish(Ping{1}, keyed("k")));  // the key is now active
  PublishOptions bad = keyed("k");
  bad.concurrency_class = "no-such-class";
  CHECK(bus.publish(Ping{2}, bad).refusal() == PublishRefusal::UnknownClass);
  gate.open();
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK(bus.stats().delivered == 1);
}

TEST_CASE("publish is refused, with a reason, when the backlog, the pool queue or the pool is full or gone") {
  ThreadPool::Options options = workers(1);
  options.queue_capacity = 2;
  options.urgent_reserve = 0;
  ThreadPool pool(options);
  EventBus::Options bus_options;
  bus_options.max_backlog = 4;
  EventBus bus(pool, bus_options);
  Gate gate;
  std::atomic<int> handled{0};
  auto sub = bus.subscribe<Ping>([&](const Ping&) {
    (void)gate.wait();
    ++handled;
  });
  REQUIRE(bus.publish(Ping{1}));  // running (blocks the only worker)
  REQUIRE(eventually([&] { return pool.stats().running == 1; }));
  REQUIRE(bus.publish(Ping{2}));  // queued
  REQUIRE(bus.publish(Ping{3}));  // queued: the pool queue is now full
  const auto pool_full = bus.publish(Ping{4});
  REQUIRE_FALSE(pool_full.ok());
  CHECK(pool_full.refusal() == PublishRefusal::PoolQueueFull);
  REQUIRE(bus.publish(Ping{5}, keyed("k")).refusal() == PublishRefusal::PoolQueueFull);
  CHECK(bus.stats().keys_active == 0);  // the refused key left nothing behind

  // A key already active takes more events without a pool slot, up to the backlog bound.
  gate.open();
  REQUIRE(eventually([&] { return handled == 3; }));
  Gate second;
  auto blocker = bus.subscribe<ChatMessage>([&](const ChatMessage&) { (void)second.wait(); });
  int accepted = 0;
  chat::PublishResult last = chat::PublishResult::accepted(0);
  for (int i = 0; i < 10 && (last = bus.publish(ChatMessage{"r", 0, i}, keyed("r"))).ok(); ++i) ++accepted;
  CHECK(accepted == 4);
  CHECK(last.refusal() == PublishRefusal::BacklogFull);
  second.open();
  REQUIRE(eventually([&] { return bus.stats().backlog == 0; }));
  CHECK(bus.stats().refused == 3);
  CHECK(bus.stats().dropped == 0);

  REQUIRE(pool.shutdown());
  CHECK(bus.publish(Ping{6}).refusal() == PublishRefusal::PoolShutDown);
}

TEST_CASE("deliveries cancelled by shutdown_now are counted as dropped, never lost silently") {
  ThreadPool pool(workers(1));
  EventBus bus(pool);
  Gate gate;
  Rendezvous parked(1);
  REQUIRE(pool.post([&] {
    parked.arrive();
    (void)gate.wait();
  }));
  REQUIRE(parked.wait());
  std::atomic<int> handled{0};
  auto sub = bus.subscribe<Ping>([&](const Ping&) { ++handled; });
  for (int i = 0; i < 5; ++i) REQUIRE(bus.publish(Ping{i}));
  for (int i = 0; i < 5; ++i) REQUIRE(bus.publish(Ping{i}, keyed("room")));
  std::thread opener([&] {
    std::this_thread::sleep_for(5ms);
    gate.open();
  });
  (void)pool.shutdown_now();
  opener.join();
  const auto s = bus.stats();
  CHECK(static_cast<std::uint64_t>(handled.load()) + s.dropped == 10);
  CHECK(s.backlog == 0);
  CHECK(s.keys_active == 0);
}
