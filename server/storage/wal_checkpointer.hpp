#pragma once
// Copies the write-ahead log back into the database file on a thread and a connection of its own, so that a
// commit does not wait for it. SQLite's automatic checkpoint runs inside the commit that crosses its
// threshold: copying a thousand pages and two fsyncs, a few milliseconds every thousand pages written, which
// every message waiting behind that commit pays. Internal to the storage layer.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "server/storage/records.hpp"
#include "server/storage/store_options.hpp"

struct sqlite3;

namespace SQLite {
class Database;
}

namespace chat {

class SqliteConnection;

// The writer connection's commits report the WAL's size to it (a wal hook, which replaces SQLite's automatic
// checkpoint). Once the WAL holds `checkpoint_pages`, the thread copies it back in a PASSIVE checkpoint, which
// neither blocks the writer nor is blocked by it. The WAL can start over from its beginning only when every
// frame is copied, and a pass always leaves behind the frames committed while it ran; so the commit after
// the pass copies that tail itself — a few pages, two fsyncs of little data — and the next transaction
// rewinds the WAL. Should the thread fall behind (a slow disk), the writer at `wal_max_pages` waits for the
// thread's pass to end and copies everything left itself: a stall, but a bounded WAL. A reader pinning an
// old snapshot keeps any checkpoint from copying past it; the WAL grows meanwhile and starts over after the
// reader is gone. One checkpoint runs at a time.
//
// Thread-safety: the hook runs on whichever thread holds the writer (the Store's write mutex); stats() from
// any thread; stop() and the destructor with the writer held exclusively.
class WalCheckpointer {
 public:
  // Opens its own read-write connection to the store's file (which exists, in WAL mode) and takes over the
  // writer's checkpoints. Throws StorageError.
  WalCheckpointer(const StoreOptions& options, SQLite::Database& writer);
  // Stops (see stop()).
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Ends the thread once its pass in progress is done and gives the writer back SQLite's automatic
  // checkpoint. Idempotent.
  void stop();

  CheckpointStats stats() const;

 private:
  static int on_commit(void* self, sqlite3* writer, const char* schema, int wal_pages);
  void after_commit(sqlite3* writer, int wal_pages);
  void run();
  // One PASSIVE checkpoint on `db`; true if it ran (false: another checkpoint was running, or it failed).
  bool checkpoint(sqlite3* db, const char* who);
  // A pass that leaves a tail copies pages into the database file without syncing it; SQLite syncs it only
  // in the pass that completes the WAL — the writer's. Syncing here leaves that one little to write.
  void sync_database_file();
  // Counts the failure; logs the first of a streak (a streak ends with a checkpoint that succeeds).
  void report_failure(const char* who, int rc);

  StoreOptions options_;
  SQLite::Database& writer_;
  std::unique_ptr<SqliteConnection> connection_;
  const bool syncs_;  // synchronous is not OFF

  int last_wal_pages_ = 0;  // writer only: a smaller size after a commit means the WAL started over
  std::atomic<std::int64_t> wal_pages_{0};
  std::atomic<std::uint64_t> background_passes_{0};
  std::atomic<std::uint64_t> writer_passes_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<bool> failure_logged_{false};

  std::mutex mutex_;
  std::condition_variable wake_;       // the thread: a pass is requested, or stop
  std::condition_variable pass_done_;  // the writer at wal_max_pages: the thread's pass ended
  bool requested_ = false;             // guarded by mutex_, as are the four below
  bool thread_copying_ = false;
  bool writer_copying_ = false;
  bool tail_left_ = false;  // the thread's pass ended; the next commit copies what it left
  bool stopping_ = false;
  bool stopped_ = false;    // stop() has run; stop() callers only
  std::thread thread_;
};

}  // namespace chat
