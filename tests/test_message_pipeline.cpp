// MessagePipeline's delivery rule for the messages of other nodes (deliver_published, catch_up), on a real
// SQLite store standing for the shared database: members see every seq once, in order, whatever order the
// frames come in, whichever are lost, and whatever a catch-up read first.
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/concurrency/event_bus.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/messaging/message_pipeline.hpp"
#include "server/registry/room.hpp"
#include "server/storage/group_committer.hpp"
#include "server/storage/sqlite_store.hpp"
#include "tests/test_storage_support.hpp"
#include "tests/test_sync.hpp"

using namespace chat;
using chat::test::TempDir;
using namespace std::chrono_literals;

namespace {

// A member's connection: the seqs of every msg line it was given, in order.
class RecordingMember final : public Participant {
 public:
  std::uint64_t connection_id() const noexcept override { return 7; }
  bool deliver(std::shared_ptr<const std::string> frame) override {
    std::istringstream lines(*frame);
    std::lock_guard lock(mutex_);
    for (std::string line; std::getline(lines, line);) seqs_.push_back(nlohmann::json::parse(line)["seq"]);
    return true;
  }
  std::vector<std::int64_t> seqs() {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  // Waits (bounded) until the member has `count` seqs.
  std::vector<std::int64_t> wait_for(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + chat::test::kPatience;
    while (seqs().size() < count && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2ms);
    return seqs();
  }

 private:
  std::mutex mutex_;
  std::vector<std::int64_t> seqs_;
};

ThreadPoolOptions small_pool() {
  ThreadPoolOptions options;
  options.min_threads = 2;
  options.max_threads = 4;
  return options;
}

struct Node {
  TempDir dir;
  SqliteStore store{StoreOptions{dir.db(), "NORMAL", 5000, 2}};
  ThreadPool pool{small_pool()};
  EventBus bus{pool};
  GroupCommitter committer{store, [this](std::function<void()> flush) {
                             return pool.post([flush = std::move(flush)](std::stop_token) { flush(); }).ok();
                           }};
  MessagePipeline pipeline{bus, committer, store, MessagePipeline::Options{}};
  RoomPtr room = std::make_shared<Room>("lobby", RoomSettings{});
  std::shared_ptr<RecordingMember> member = std::make_shared<RecordingMember>();

  Node() {
    REQUIRE(store.create_room({"lobby", false, "", "", 1, 0}));
    room->subscribe("bob", member);
  }
  ~Node() { pool.shutdown(); }

  // What other nodes committed: `count` messages, seqs given by the store.
  std::vector<MessageRecord> commit_elsewhere(int count) {
    std::vector<MessageRecord> records;
    for (int i = 0; i < count; ++i) records.push_back(chat::test::message("lobby", 0, "carol"));
    const auto outcomes = store.append_messages(records);
    for (std::size_t i = 0; i < records.size(); ++i) records[i].seq = outcomes[i].seq;
    return records;
  }
  // The frame another node publishes for records [from, to] (indexes into `records`).
  void publish(const std::vector<MessageRecord>& records, std::size_t from, std::size_t to) {
    std::string lines;
    for (std::size_t i = from; i <= to; ++i) append_msg_line(lines, records[i], records[i].seq);
    pipeline.deliver_published(room, records[from].seq, records[to].seq, std::move(lines));
  }
};

void check_every_seq_once_in_order(const std::vector<std::int64_t>& seqs, std::int64_t last) {
  REQUIRE(seqs.size() == static_cast<std::size_t>(last));
  for (std::int64_t i = 0; i < last; ++i) REQUIRE(seqs[static_cast<std::size_t>(i)] == i + 1);
}

}  // namespace

TEST_CASE("deliver_published: in order as frames come, a gap read from the store, a frame delivered already "
          "dropped, the tail caught up") {
  Node node;
  const auto records = node.commit_elsewhere(10);  // seqs 1..10

  node.publish(records, 0, 1);  // 1-2: in order
  CHECK(node.member->wait_for(2) == std::vector<std::int64_t>{1, 2});
  node.publish(records, 4, 5);  // 5-6 while 3-4 were lost: 3-4 come from the store, before them
  CHECK(node.member->wait_for(6) == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
  node.publish(records, 2, 3);  // 3-4 late: delivered already
  node.publish(records, 5, 7);  // 6-8, half delivered: only 7-8
  check_every_seq_once_in_order(node.member->wait_for(8), 8);
  // 9-10 never published (their node died): a catch-up finds them.
  node.pipeline.catch_up(node.room);
  check_every_seq_once_in_order(node.member->wait_for(10), 10);
  CHECK(node.room->delivered_seq() == 10);

  std::this_thread::sleep_for(50ms);  // nothing more comes
  check_every_seq_once_in_order(node.member->seqs(), 10);
  const auto counters = node.pipeline.cluster_counters();
  CHECK(counters.published_batches == 1);
  CHECK(counters.gaps_repaired == 2);  // 5-6 after a gap, and 6-8 overlapping
  CHECK(counters.duplicate_batches == 1);
  CHECK(counters.repaired_messages == 2 + 4 + 2);  // 3-6, 7-8, 9-10
  CHECK(counters.repair_failures == 0);
}

TEST_CASE("deliver_published under stress: frames shuffled, a third lost, published from four threads, with "
          "catch-ups running: every seq once, in order") {
  Node node;
  constexpr int kFrames = 400;
  constexpr int kPerFrame = 3;
  const auto records = node.commit_elsewhere(kFrames * kPerFrame);
  std::vector<int> frames(kFrames);
  for (int i = 0; i < kFrames; ++i) frames[static_cast<std::size_t>(i)] = i;
  std::mt19937 random(12345);
  // Mostly in order, as Redis gives them, with local disorder and losses.
  for (int i = 0; i + 1 < kFrames; i += 2) {
    if (random() % 3 == 0) std::swap(frames[static_cast<std::size_t>(i)], frames[static_cast<std::size_t>(i + 1)]);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 drop(static_cast<unsigned>(t));
      for (int i = t; i < kFrames; i += 4) {
        const auto frame = static_cast<std::size_t>(frames[static_cast<std::size_t>(i)]);
        if (drop() % 3 == 0) continue;  // lost on the way
        node.publish(records, frame * kPerFrame, frame * kPerFrame + kPerFrame - 1);
        if (i % 50 == 0) node.pipeline.catch_up(node.room);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  node.pipeline.catch_up(node.room);  // what was lost at the end
  check_every_seq_once_in_order(node.member->wait_for(kFrames * kPerFrame), kFrames * kPerFrame);
  std::this_thread::sleep_for(50ms);
  CHECK(node.member->seqs().size() == static_cast<std::size_t>(kFrames * kPerFrame));
}
