#include "server/storage/storage_health.hpp"

#include <sqlite3.h>

#include <chrono>
#include <utility>

namespace chat {
namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StorageHealth::StorageHealth() { state_.since_ms = now_ms(); }

bool StorageHealth::is_fault(int sqlite_code) noexcept {
  switch (sqlite_code & 0xff) {  // the primary code of an extended one
    case SQLITE_FULL:      // the disk (ENOSPC) or the database (max_page_count) is full
    case SQLITE_IOERR:     // any I/O error: a failed write, fsync, truncate, shared-memory growth...
    case SQLITE_READONLY:  // the file, its folder or its volume turned read-only
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:  // the -wal or -shm file cannot be opened
      return true;
    default:
      return false;
  }
}

bool StorageHealth::record_fault(std::string reason, std::string error) {
  std::lock_guard lock(mutex_);
  ++state_.failed_writes;
  state_.reason = std::move(reason);
  state_.last_error = std::move(error);
  if (state_.state == State::failing) return false;
  state_.state = State::failing;
  state_.since_ms = now_ms();
  failing_.store(true, std::memory_order_release);
  return true;
}

std::optional<StorageHealth::Snapshot> StorageHealth::record_recovery() {
  std::lock_guard lock(mutex_);
  if (state_.state == State::ok) return std::nullopt;
  Snapshot ended = state_;
  state_.state = State::ok;
  state_.since_ms = now_ms();
  ++state_.recoveries;
  failing_.store(false, std::memory_order_release);
  return ended;
}

StorageHealth::Snapshot StorageHealth::snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string_view to_string(StorageHealth::State state) noexcept {
  return state == StorageHealth::State::ok ? "ok" : "failing";
}

}  // namespace chat
