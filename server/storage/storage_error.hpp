#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace chat {

// A failed storage operation. what() names the operation and its subject (room, user, seq...) followed by the
// database's message, so one log line is enough to understand it.
class StorageError : public std::runtime_error {
 public:
  // From SQLite, with its extended result code (0 when the error did not come from SQLite): a fault of the
  // storage when StorageHealth::is_fault says so.
  explicit StorageError(const std::string& what, int sqlite_code = 0);
  // From another database: whether the storage is to blame (rather than the record), and the database's own
  // short words for it.
  StorageError(const std::string& what, bool fault, std::string reason);

  // Extended SQLite result code (e.g. SQLITE_CONSTRAINT_PRIMARYKEY), 0 when the error did not come from SQLite.
  int sqlite_code() const noexcept { return sqlite_code_; }
  // The storage failed (a full disk, an I/O error, the database unreachable), not the record written.
  bool is_fault() const noexcept { return fault_; }
  // The database's words for the error, without operation or path ("database or disk is full").
  const std::string& reason() const noexcept { return reason_; }

 private:
  int sqlite_code_ = 0;
  bool fault_ = false;
  std::string reason_;
};

// Call from a catch block only: rethrows the exception being handled as a StorageError whose message starts
// with `context` (a StorageError passes through unchanged, it already has its context).
[[noreturn]] void rethrow_as_storage_error(std::string_view context);

}  // namespace chat
