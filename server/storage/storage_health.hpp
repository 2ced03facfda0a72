#pragma once
// Whether the database takes writes, and since when it does not.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// A write that fails for a reason of the storage's own — the disk or the database is full, an I/O error, a
// file that is read-only or damaged — turns the state to failing; a record the database refuses (a
// constraint, an unknown room) does not. Only a recovery pass turns it back (Store::recover: the WAL copied
// back and emptied, then a test write committed), not a write that happens to fit: on a nearly full disk
// the state would otherwise flap with every write, and the log with it.
//
// Thread-safe; failing() is one atomic load, cheap enough for every send.
class StorageHealth {
 public:
  enum class State { ok, failing };

  struct Snapshot {
    State state = State::ok;
    std::int64_t since_ms = 0;        // when the state began (opening, first fault, recovery), ms since the epoch
    std::string reason;               // the database's words for the latest fault ("database or disk is full"); no path
    std::string last_error;           // the latest fault in full, with its operation and file; "" before any
    std::uint64_t failed_writes = 0;  // writes that failed for the storage since opening
    std::uint64_t recoveries = 0;
  };

  StorageHealth();

  // True for the SQLite result codes (extended or primary) that blame the storage rather than the record.
  static bool is_fault(int sqlite_code) noexcept;

  // Records a failed write (`reason`: the database's short words, `error`: the whole message); true when it
  // turned the state to failing (the first fault of a streak).
  bool record_fault(std::string reason, std::string error);
  // Turns the state back to ok: the snapshot of the streak that ended, or nullopt when it was ok.
  std::optional<Snapshot> record_recovery();

  bool failing() const noexcept { return failing_.load(std::memory_order_acquire); }
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  Snapshot state_;  // guarded by mutex_
  std::atomic<bool> failing_{false};
};

std::string_view to_string(StorageHealth::State state) noexcept;

}  // namespace chat
