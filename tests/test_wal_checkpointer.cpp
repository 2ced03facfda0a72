// WalCheckpointer through the SqliteStore, on a real SQLite file: the WAL is copied back off the commit path,
// starts over under writes that never pause, stays bounded, and loses nothing — also while a reader pins an
// old snapshot and after shutdown's final checkpoint hands checkpoints back to SQLite.

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "server/storage/sqlite_store.hpp"
#include "tests/test_storage_support.hpp"

using namespace chat;
using chat::test::TempDir;

namespace {

// A WAL frame: a 24-byte header and the page; the file starts with a 32-byte header.
constexpr std::uintmax_t kPageBytes = 4096;
constexpr std::uintmax_t kFrameBytes = kPageBytes + 24;
constexpr int kMessagesPerCommit = 8;

StoreOptions small_wal(const std::filesystem::path& path, int checkpoint_pages, int wal_max_pages) {
  StoreOptions options;
  options.path = path;
  options.read_connections = 1;
  options.checkpoint_pages = checkpoint_pages;
  options.wal_max_pages = wal_max_pages;
  return options;
}

struct Fixture {
  explicit Fixture(int checkpoint_pages, int wal_max_pages)
      : store(small_wal(dir.db(), checkpoint_pages, wal_max_pages)) {
    REQUIRE(store.create_user({"alice", "hash", 1}));
    REQUIRE(store.create_room({"lobby", false, "", "alice", 1, 0}));
  }
  std::filesystem::path wal() const { return dir.db().string() + "-wal"; }
  std::uintmax_t wal_bytes() const { return std::filesystem::file_size(wal()); }

  // One commit of kMessagesPerCommit messages with a text large enough to fill pages quickly.
  void commit_batch() {
    std::vector<MessageRecord> batch;
    for (int i = 0; i < kMessagesPerCommit; ++i) {
      batch.push_back(MessageRecord{"lobby", 0, "alice", 1, 1'700'000'000'000 + next_, std::string(600, 'x'), {}});
      ++next_;
    }
    const auto outcome = store.append_messages(batch);
    REQUIRE(outcome.size() == batch.size());
    written += static_cast<std::int64_t>(batch.size());
  }

  TempDir dir;
  SqliteStore store;
  std::int64_t written = 0;

 private:
  std::int64_t next_ = 0;
};

// Waits, a bounded while, for the checkpoint thread to have run at least once.
bool background_pass_seen(const SqliteStore& store) {
  for (int i = 0; i < 500; ++i) {
    if (store.checkpoint_stats().value().background_passes > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

TEST_CASE("under writes that never pause the WAL starts over and stays below wal_max_pages plus one commit") {
  Fixture f(16, 64);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 1500; ++i) {
    f.commit_batch();
    largest = std::max(largest, f.wal_bytes());
  }
  // 1,500 commits of eight 600-byte messages are several thousand pages: without restarts the file would
  // hold them all. A commit here writes a handful of pages; 32 leave room for b-tree splits.
  CHECK(largest <= 32 + (64 + 32) * kFrameBytes);
  CHECK(background_pass_seen(f.store));
  const auto stats = f.store.checkpoint_stats().value();
  CHECK(stats.writer_passes > 0);
  CHECK(stats.failures == 0);
  CHECK(stats.wal_pages < 64 + 32);
  MESSAGE("background passes " << stats.background_passes << ", writer passes " << stats.writer_passes
                               << ", largest WAL " << largest << " bytes");
  CHECK(f.store.message_count() == f.written);
  CHECK(f.store.integrity_check() == "ok");
}

TEST_CASE("while the writer pauses the thread copies the WAL back, and the WAL starts over") {
  Fixture f(16, 1'000'000);  // wal_max_pages out of reach
  for (int i = 0; i < 50; ++i) f.commit_batch();
  bool started_over = false;
  for (int i = 0; i < 500 && !started_over; ++i) {
    const auto before = f.store.checkpoint_stats().value().wal_pages;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    f.commit_batch();
    started_over = f.store.checkpoint_stats().value().wal_pages < before;
  }
  CHECK(started_over);
  CHECK(f.store.checkpoint_stats().value().background_passes > 0);
  CHECK(f.store.checkpoint_stats().value().failures == 0);
  CHECK(f.store.message_count() == f.written);
}

TEST_CASE("under writes that never pause the WAL starts over long before wal_max_pages") {
  // A background pass always leaves the frames committed while it ran; the writer copies that tail.
  Fixture f(16, 1'000'000);
  int started_over = 0;
  std::int64_t before = 0;
  // 1,500 commits, and on a loaded machine (where the checkpointer's thread may not have run by then) more,
  // until it has started over once or 30 s have passed: the property is that it happens, not how soon.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int i = 0; i < 1500 || (started_over == 0 && std::chrono::steady_clock::now() < give_up); ++i) {
    f.commit_batch();
    const auto now = f.store.checkpoint_stats().value().wal_pages;
    started_over += now < before ? 1 : 0;
    before = now;
  }
  CHECK(started_over > 0);
  const auto stats = f.store.checkpoint_stats().value();
  MESSAGE("started over " << started_over << " times; background passes " << stats.background_passes
                          << ", writer passes " << stats.writer_passes);
  CHECK(stats.failures == 0);
  CHECK(f.store.message_count() == f.written);
}

TEST_CASE("a reader pinning an old snapshot lets the WAL grow; once it ends the WAL starts over") {
  Fixture f(16, 64);
  f.commit_batch();
  SQLite::Database reader(f.dir.db().string(), SQLite::OPEN_READONLY);
  reader.exec("BEGIN");
  SQLite::Statement count(reader, "SELECT COUNT(*) FROM messages");
  REQUIRE(count.executeStep());
  const auto pinned = count.getColumn(0).getInt64();

  // Nothing written after the snapshot can be copied back, so no pass completes and the WAL cannot start over.
  for (int i = 0; i < 300; ++i) f.commit_batch();
  CHECK(f.store.checkpoint_stats().value().wal_pages > 64);
  CHECK(f.store.checkpoint_stats().value().failures == 0);
  count.reset();
  REQUIRE(count.executeStep());
  CHECK(count.getColumn(0).getInt64() == pinned);  // the reader still sees its snapshot
  count.reset();
  reader.exec("COMMIT");

  for (int i = 0; i < 300 && f.store.checkpoint_stats().value().wal_pages > 64; ++i) f.commit_batch();
  CHECK(f.store.checkpoint_stats().value().wal_pages <= 64);
  CHECK(f.store.message_count() == f.written);
  CHECK(f.store.integrity_check() == "ok");
}

TEST_CASE("after the final checkpoint, commits go on and SQLite's own checkpoint keeps the WAL bounded") {
  Fixture f(16, 64);
  for (int i = 0; i < 20; ++i) f.commit_batch();
  CHECK(f.store.checkpoint());
  CHECK(f.wal_bytes() == 0);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 600; ++i) {
    f.commit_batch();
    largest = std::max(largest, f.wal_bytes());
  }
  CHECK(largest <= 32 + (16 + 32) * kFrameBytes);  // automatic checkpoint at checkpoint_pages
  CHECK(f.store.message_count() == f.written);
  CHECK(f.store.checkpoint());
}
