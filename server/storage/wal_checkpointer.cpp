#include "server/storage/wal_checkpointer.hpp"

#include <SQLiteCpp/Database.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "server/storage/sqlite_connection.hpp"

namespace chat {
namespace {
constexpr int kThreadNice = 19;  // the lowest priority
}  // namespace

WalCheckpointer::WalCheckpointer(const StoreOptions& options, SQLite::Database& writer)
    : options_(options),
      writer_(writer),
      connection_(std::make_unique<SqliteConnection>(options_, SqliteConnection::Mode::read_write)),
      syncs_(strcasecmp(options_.synchronous.c_str(), "OFF") != 0) {
  options_.checkpoint_pages = std::max(options_.checkpoint_pages, 1);
  options_.wal_max_pages = std::max(options_.wal_max_pages, options_.checkpoint_pages);
  thread_ = std::thread([this] { run(); });
  // Replaces SQLite's automatic checkpoint on the writer (both are the connection's one wal hook).
  sqlite3_wal_hook(writer_.getHandle(), &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() { stop(); }

void WalCheckpointer::stop() {
  if (std::exchange(stopped_, true)) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  sqlite3_wal_autocheckpoint(writer_.getHandle(), options_.checkpoint_pages);
}

CheckpointStats WalCheckpointer::stats() const {
  return CheckpointStats{background_passes_.load(), writer_passes_.load(), failures_.load(), wal_pages_.load()};
}

int WalCheckpointer::on_commit(void* self, sqlite3* writer, const char* /*schema*/, int wal_pages) {
  static_cast<WalCheckpointer*>(self)->after_commit(writer, wal_pages);
  return SQLITE_OK;  // the commit itself succeeded whatever a checkpoint does
}

void WalCheckpointer::after_commit(sqlite3* writer, int wal_pages) {
  wal_pages_.store(wal_pages, std::memory_order_relaxed);
  const bool started_over = wal_pages < last_wal_pages_;
  last_wal_pages_ = wal_pages;
  std::unique_lock lock(mutex_);
  if (started_over) tail_left_ = false;  // what a pass left was in the old WAL
  if (wal_pages < options_.checkpoint_pages) return;

  if (wal_pages >= options_.wal_max_pages) {
    // The thread cannot keep up: the writer waits for its pass to end (a pass at a time — a second one
    // would give up at once) and copies the rest, so that the WAL stays bounded.
    pass_done_.wait(lock, [this] { return !thread_copying_; });
  } else if (thread_copying_) {
    return;
  } else if (!tail_left_) {
    requested_ = true;
    lock.unlock();
    wake_.notify_one();
    return;
  }
  // The tail the thread's pass left (or, at wal_max_pages, everything left). The writer's pass supersedes a
  // requested one.
  requested_ = false;
  tail_left_ = false;
  writer_copying_ = true;
  lock.unlock();
  if (checkpoint(writer, "writer")) writer_passes_.fetch_add(1, std::memory_order_relaxed);
  lock.lock();
  writer_copying_ = false;
}

void WalCheckpointer::run() {
  // Background work: copying a checkpoint's pages takes a core for a few milliseconds, which on a busy machine
  // should come from idle time rather than from the threads that read and write sockets (Linux: a thread's
  // own nice value).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kThreadNice) != 0) {
    spdlog::debug("storage: could not lower the checkpoint thread's priority");
  }
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    requested_ = false;
    if (writer_copying_) continue;
    thread_copying_ = true;
    lock.unlock();
    const bool copied = checkpoint(connection_->db().getHandle(), "background");
    if (copied) {
      background_passes_.fetch_add(1, std::memory_order_relaxed);
      sync_database_file();
    }
    lock.lock();
    thread_copying_ = false;
    tail_left_ = copied;
    pass_done_.notify_all();
  }
}

void WalCheckpointer::sync_database_file() {
  if (!syncs_) return;
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(connection_->db().getHandle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return;
  }
  if (const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL); rc != SQLITE_OK) report_failure("background", rc);
}

bool WalCheckpointer::checkpoint(sqlite3* db, const char* who) {
  const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    failure_logged_.store(false, std::memory_order_relaxed);
    return true;
  }
  if (rc != SQLITE_BUSY) report_failure(who, rc);
  return false;
}

void WalCheckpointer::report_failure(const char* who, int rc) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  if (!failure_logged_.exchange(true)) {  // once per streak: a failing disk would log at every commit
    spdlog::error("storage: {} checkpoint of '{}' failed: {} (the WAL grows until one succeeds)", who,
                  options_.path.string(), sqlite3_errstr(rc));
  }
}

}  // namespace chat
