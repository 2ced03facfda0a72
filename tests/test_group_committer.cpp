// GroupCommitter: batching, completion order, failure isolation, refused schedules, draining.

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/storage/group_committer.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_storage_faults.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::ManualScheduler;
using chat::test::message;
using chat::test::TempDir;
using chat::test::ThreadScheduler;

namespace {

struct Fixture {
  TempDir dir;
  SqliteStore store{StoreOptions{dir.db(), "NORMAL", 5000, 2}};
  explicit Fixture(int rooms = 1) {
    for (int r = 0; r < rooms; ++r) REQUIRE(store.create_room({"r" + std::to_string(r), false, "", "alice", 1, 0}));
  }
};

using Status = AppendOutcome::Status;

bool committed(const AppendOutcome& outcome) { return outcome.status != Status::failed; }

// Completions in the order they ran, as (label, committed), and the seq each outcome carried. Completions run
// on one thread at a time, but that thread may change between flushes, hence the mutex.
struct Log {
  std::mutex mutex;
  std::vector<std::pair<std::int64_t, bool>> entries;
  std::vector<std::int64_t> seqs;
  GroupCommitter::Completion record(std::int64_t label) {
    return [this, label](const AppendOutcome& outcome) {
      std::lock_guard lock(mutex);
      entries.emplace_back(label, committed(outcome));
      seqs.push_back(outcome.seq);
    };
  }
};

}  // namespace

TEST_CASE("many producers: every completion once, in per-producer order, all rows stored, batched") {
  constexpr int producers = 8;
  constexpr std::int64_t per_producer = 2000;
  Fixture f(producers);
  ThreadScheduler scheduler;
  // A backlog that never fills: this test is about order and batching, not refusals.
  GroupCommitter committer(f.store, scheduler.as_schedule(), GroupCommitter::Options{4096, producers * per_producer});

  std::mutex mutex;
  std::vector<std::vector<std::int64_t>> completed(producers);  // seqs in completion order
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      const std::string room = "r" + std::to_string(p);
      for (std::int64_t seq = 1; seq <= per_producer; ++seq) {
        const auto admission = committer.append(message(room, seq), [&, p, seq](const AppendOutcome& outcome) {
          // Each producer appends to its own room in order, so the store's seqs follow the producer's count.
          if (outcome.status != Status::stored || outcome.seq != seq) failures.fetch_add(1);
          std::lock_guard lock(mutex);
          completed[static_cast<std::size_t>(p)].push_back(seq);
        });
        if (admission != GroupCommitter::Admission::accepted) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  committer.close_and_drain();

  CHECK(failures.load() == 0);
  for (int p = 0; p < producers; ++p) {
    INFO("producer " << p);
    const auto& seqs = completed[static_cast<std::size_t>(p)];
    REQUIRE(seqs.size() == static_cast<std::size_t>(per_producer));
    for (std::size_t i = 0; i < seqs.size(); ++i) REQUIRE(seqs[i] == static_cast<std::int64_t>(i + 1));
    CHECK(f.store.find_room("r" + std::to_string(p))->last_seq == per_producer);
  }
  CHECK(f.store.message_count() == producers * per_producer);
  const auto stats = committer.stats();
  CHECK(stats.appended == producers * per_producer);
  CHECK(stats.committed == producers * per_producer);
  CHECK(stats.failed == 0);
  CHECK(stats.largest_batch > 1);  // group commit happened
  CHECK(stats.batches < stats.committed);
  MESSAGE("batches: " << stats.batches << ", largest: " << stats.largest_batch);
}

TEST_CASE("messages appended while no flush has run go out in one transaction") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;
  for (std::int64_t seq = 1; seq <= 100; ++seq) REQUIRE(committer.append(message("r0", seq), log.record(seq)) == GroupCommitter::Admission::accepted);
  CHECK(scheduler.queued() == 1);  // one flush in flight, however many appends
  CHECK(log.entries.empty());      // append does no I/O and completes nothing
  CHECK(f.store.message_count() == 0);

  CHECK(scheduler.run() == 1);
  CHECK(f.store.message_count() == 100);
  REQUIRE(log.entries.size() == 100);
  for (std::size_t i = 0; i < 100; ++i) CHECK(log.entries[i] == std::pair<std::int64_t, bool>(i + 1, true));
  CHECK(log.seqs == [] {
    std::vector<std::int64_t> expected(100);
    std::iota(expected.begin(), expected.end(), 1);
    return expected;
  }());
  const auto stats = committer.stats();
  CHECK(stats.batches == 1);
  CHECK(stats.largest_batch == 100);
}

TEST_CASE("appends between begin_gathering and end_gathering schedule their flush only at the end, once") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;
  GroupCommitter::begin_gathering();
  GroupCommitter::begin_gathering();  // nests: only the outermost end schedules
  for (std::int64_t seq = 1; seq <= 5; ++seq) REQUIRE(committer.append(message("r0", seq), log.record(seq)) == GroupCommitter::Admission::accepted);
  GroupCommitter::end_gathering();
  CHECK(scheduler.queued() == 0);
  // Another thread's append meanwhile joins the held batch instead of scheduling one of its own.
  std::thread other([&] { REQUIRE(committer.append(message("r0", 6), log.record(6)) == GroupCommitter::Admission::accepted); });
  other.join();
  CHECK(scheduler.queued() == 0);
  GroupCommitter::end_gathering();
  CHECK(scheduler.queued() == 1);
  CHECK(scheduler.run() == 1);
  CHECK(log.entries.size() == 6);
  CHECK(committer.stats().batches == 1);

  SUBCASE("a refused schedule at the end leaves the messages pending for the next kick") {
    scheduler.refuse_next(1);
    GroupCommitter::begin_gathering();
    REQUIRE(committer.append(message("r0", 7), log.record(7)) == GroupCommitter::Admission::accepted);
    GroupCommitter::end_gathering();
    CHECK(scheduler.queued() == 0);
    committer.kick();
    CHECK(scheduler.run() == 1);
    CHECK(log.entries.size() == 7);
  }
  // Outside a gathering, an append schedules at once as before.
  REQUIRE(committer.append(message("r0", 8), log.record(8)) == GroupCommitter::Admission::accepted);
  CHECK(scheduler.queued() == 1);
  scheduler.run();
}

TEST_CASE("a backlog larger than max_batch takes several flushes, each rescheduled") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule(), GroupCommitter::Options{10});
  Log log;
  for (std::int64_t seq = 1; seq <= 35; ++seq) committer.append(message("r0", seq), log.record(seq));
  CHECK(scheduler.run(1) == 1);
  CHECK(log.entries.size() == 10);  // the first flush took one batch and rescheduled
  CHECK(scheduler.queued() == 1);
  CHECK(scheduler.run() == 3);
  REQUIRE(log.entries.size() == 35);
  for (std::size_t i = 0; i < 35; ++i) CHECK(log.entries[i].first == static_cast<std::int64_t>(i + 1));
  const auto stats = committer.stats();
  CHECK(stats.batches == 4);
  CHECK(stats.largest_batch == 10);
}

TEST_CASE("after_batch runs once per batch, after all of its completions and before the next batch") {
  Fixture f;
  ManualScheduler scheduler;
  Log log;
  std::vector<std::size_t> completions_seen;  // how many completions had run at each after_batch call
  GroupCommitter::Options options{10};
  options.after_batch = [&] { completions_seen.push_back(log.entries.size()); };
  GroupCommitter committer(f.store, scheduler.as_schedule(), options);
  for (std::int64_t seq = 1; seq <= 25; ++seq) committer.append(message("r0", seq), log.record(seq));
  scheduler.run();
  CHECK(completions_seen == std::vector<std::size_t>{10, 20, 25});
  committer.kick();  // nothing pending: no flush, no call
  scheduler.run();
  CHECK(completions_seen.size() == 3);

  // A throwing callback is logged; the committer goes on.
  GroupCommitter::Options throwing{10};
  throwing.after_batch = [] { throw std::runtime_error("after_batch failed"); };
  GroupCommitter second(f.store, scheduler.as_schedule(), throwing);
  Log second_log;
  second.append(message("r0", 0), second_log.record(1));
  scheduler.run();
  second.append(message("r0", 0), second_log.record(2));
  scheduler.run();
  CHECK(second_log.entries.size() == 2);
  CHECK(second.stats().batches == 2);
}

TEST_CASE("a failing record in a batch fails alone and takes no seq; completions stay in order") {
  Fixture f;
  chat::test::poison_messages(f.dir.db());
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;
  committer.append(message("r0", 1, "alice", "c1"), log.record(1));
  committer.append(message("r0", 2), log.record(2));
  auto poisoned = message("r0", 0);
  poisoned.text = std::string(chat::test::kPoisonText);
  committer.append(poisoned, log.record(-1));                      // refused by the database
  committer.append(message("nowhere", 1), log.record(-100));       // unknown room
  committer.append(message("r0", 0, "alice", "c1"), log.record(-3));  // a retry of the first: its seq
  committer.append(message("r0", 3), log.record(3));
  scheduler.run();

  using E = std::pair<std::int64_t, bool>;
  CHECK(log.entries == std::vector<E>{{1, true}, {2, true}, {-1, false}, {-100, false}, {-3, true}, {3, true}});
  CHECK(log.seqs == std::vector<std::int64_t>{1, 2, 0, 0, 1, 3});  // dense: the failures took none
  CHECK(f.store.message_count() == 3);
  const auto stats = committer.stats();
  CHECK(stats.committed == 3);
  CHECK(stats.duplicates == 1);
  CHECK(stats.failed == 2);
}

TEST_CASE("a batch whose transaction fails fails whole, takes no seq, and the next batch goes on") {
  Fixture f;
  chat::test::poison_messages(f.dir.db(), chat::test::PoisonMode::rollback_transaction);
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;
  auto poisoned = message("r0", 0);
  poisoned.text = std::string(chat::test::kPoisonText);
  committer.append(message("r0", 0), log.record(1));
  committer.append(poisoned, log.record(2));
  scheduler.run();
  committer.append(message("r0", 0), log.record(3));
  scheduler.run();
  using E = std::pair<std::int64_t, bool>;
  CHECK(log.entries == std::vector<E>{{1, false}, {2, false}, {3, true}});
  CHECK(log.seqs == std::vector<std::int64_t>{0, 0, 1});
  CHECK(f.store.message_count() == 1);
}

TEST_CASE("a full backlog refuses appends until a flush completes some; the batch in flight counts") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule(), GroupCommitter::Options{2, 3});
  Log log;
  using Admission = GroupCommitter::Admission;
  for (std::int64_t label = 1; label <= 3; ++label) {
    REQUIRE(committer.append(message("r0", 0), log.record(label)) == Admission::accepted);
  }
  bool called = false;
  CHECK(committer.append(message("r0", 0), [&](const AppendOutcome&) { called = true; }) == Admission::backlog_full);
  CHECK(committer.stats().refused_full == 1);

  CHECK(scheduler.run(1) == 1);  // a batch of two; the third message waits for the next flush
  CHECK(log.entries.size() == 2);
  // Room for two again. While the next batch (3 and 4) is written, 5 still waits: a completion that appends
  // then finds the backlog full, because the batch in flight counts until its completions have run.
  std::optional<Admission> from_completion;
  CHECK(committer.append(message("r0", 0), [&](const AppendOutcome& outcome) {
    log.record(4)(outcome);
    from_completion = committer.append(message("r0", 0), log.record(-1));
  }) == Admission::accepted);
  CHECK(committer.append(message("r0", 0), log.record(5)) == Admission::accepted);
  CHECK(committer.append(message("r0", 0), log.record(-2)) == Admission::backlog_full);
  scheduler.run();
  REQUIRE(from_completion);
  CHECK(*from_completion == Admission::backlog_full);
  CHECK_FALSE(called);  // a refused message is never completed

  using E = std::pair<std::int64_t, bool>;
  CHECK(log.entries == std::vector<E>{{1, true}, {2, true}, {3, true}, {4, true}, {5, true}});
  CHECK(log.seqs == std::vector<std::int64_t>{1, 2, 3, 4, 5});  // refusals took no seq
  CHECK(committer.stats().appended == 5);
  CHECK(committer.stats().refused_full == 3);
  CHECK(committer.append(message("r0", 0), log.record(6)) == Admission::accepted);  // drained: accepted again
  scheduler.run();
  CHECK(log.seqs.back() == 6);
}

TEST_CASE("a refused schedule loses nothing: the next append, kick or drain retries") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;

  SUBCASE("next append") {
    scheduler.refuse_next(1);
    committer.append(message("r0", 1), log.record(1));
    CHECK(scheduler.queued() == 0);
    CHECK(committer.stats().refused_schedules == 1);
    committer.append(message("r0", 2), log.record(2));
    CHECK(scheduler.queued() == 1);
    scheduler.run();
    CHECK(log.entries == std::vector<std::pair<std::int64_t, bool>>{{1, true}, {2, true}});
  }
  SUBCASE("kick") {
    scheduler.refuse_next(1);
    committer.append(message("r0", 1), log.record(1));
    committer.kick();
    CHECK(scheduler.queued() == 1);
    committer.kick();  // a flush is in flight already: no second one
    CHECK(scheduler.queued() == 1);
    scheduler.run();
    CHECK(log.entries.size() == 1);
  }
  SUBCASE("drain flushes on the calling thread") {
    scheduler.refuse_next(1000);
    for (std::int64_t seq = 1; seq <= 5; ++seq) committer.append(message("r0", seq), log.record(seq));
    committer.close_and_drain();
    CHECK(log.entries.size() == 5);
    CHECK(f.store.message_count() == 5);
  }
  SUBCASE("a refused reschedule continues on the flushing thread") {
    GroupCommitter small(f.store, scheduler.as_schedule(), GroupCommitter::Options{2});
    for (std::int64_t seq = 1; seq <= 5; ++seq) small.append(message("r0", seq), log.record(seq));
    scheduler.refuse_next(1000);
    CHECK(scheduler.run() == 1);
    CHECK(log.entries.size() == 5);
    CHECK(small.stats().batches == 3);
  }
  CHECK(f.store.message_count() == static_cast<std::int64_t>(log.entries.size()));
}

TEST_CASE("a throwing scheduler counts as a refusal") {
  Fixture f;
  bool fail = true;
  ManualScheduler inner;
  GroupCommitter committer(f.store, [&](std::function<void()> task) {
    if (fail) throw std::runtime_error("pool gone");
    return inner.schedule(std::move(task));
  });
  Log log;
  committer.append(message("r0", 1), log.record(1));
  CHECK(committer.stats().refused_schedules == 1);
  fail = false;
  committer.kick();
  inner.run();
  CHECK(log.entries.size() == 1);
}

TEST_CASE("a throwing completion does not cost the others theirs; a completion may append") {
  Fixture f;
  ManualScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule());
  Log log;
  committer.append(message("r0", 1), [](const AppendOutcome&) { throw std::runtime_error("handler bug"); });
  committer.append(message("r0", 4), [](const AppendOutcome&) { throw 42; });  // not even a std::exception
  committer.append(message("r0", 2), [&](const AppendOutcome& outcome) {
    log.record(2)(outcome);
    committer.append(message("r0", 3), log.record(3));  // runs on the flushing thread
  });
  scheduler.run();
  CHECK(log.entries == std::vector<std::pair<std::int64_t, bool>>{{2, true}, {3, true}});
  CHECK(f.store.message_count() == 4);
  committer.close_and_drain();  // ownership was released despite the throws (else this would not return)
}

TEST_CASE("close_and_drain commits everything appended and refuses what comes after") {
  Fixture f(2);
  ThreadScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule(), GroupCommitter::Options{64});
  std::atomic<int> completions{0};
  std::thread other([&] {
    for (std::int64_t seq = 1; seq <= 1000; ++seq) {
      committer.append(message("r1", seq), [&](const AppendOutcome& outcome) {
        completions.fetch_add(committed(outcome) ? 1 : 1000000);
      });
    }
  });
  for (std::int64_t seq = 1; seq <= 1000; ++seq) {
    committer.append(message("r0", seq), [&](const AppendOutcome& outcome) {
      completions.fetch_add(committed(outcome) ? 1 : 1000000);
    });
  }
  other.join();
  committer.close_and_drain();
  CHECK(completions.load() == 2000);  // all ran before close_and_drain returned
  CHECK(f.store.message_count() == 2000);

  bool called = false;
  CHECK(committer.append(message("r0", 1001), [&](const AppendOutcome&) { called = true; }) ==
        GroupCommitter::Admission::closed);
  committer.close_and_drain();  // idempotent
  CHECK_FALSE(called);
  CHECK(committer.stats().appended == 2000);
}

TEST_CASE("history reads run concurrently with group commits and see committed prefixes") {
  Fixture f;
  ThreadScheduler scheduler;
  GroupCommitter committer(f.store, scheduler.as_schedule(), GroupCommitter::Options{50});
  std::atomic<bool> done{false};
  std::atomic<int> bad_pages{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; i < 2000 && !done.load(); ++i) {
        const auto page = f.store.history("r0", std::nullopt, std::nullopt, 20);
        // Commits are in append order, so the newest page is always a run of consecutive seqs ending at last.
        for (std::size_t k = 1; k < page.size(); ++k) {
          if (page[k].seq != page[k - 1].seq + 1) bad_pages.fetch_add(1);
        }
      }
    });
  }
  for (std::int64_t seq = 1; seq <= 3000; ++seq) committer.append(message("r0", seq), nullptr);
  committer.close_and_drain();
  done.store(true);
  for (auto& t : readers) t.join();
  CHECK(bad_pages.load() == 0);
  CHECK(f.store.message_count() == 3000);
}
