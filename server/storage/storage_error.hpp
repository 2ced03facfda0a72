#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace chat {

// A failed SQLite operation. what() names the operation and its subject (room, user, seq...) followed by
// SQLite's message, so one log line is enough to understand it.
class StorageError : public std::runtime_error {
 public:
  explicit StorageError(const std::string& what, int sqlite_code = 0)
      : std::runtime_error(what), sqlite_code_(sqlite_code) {}

  // Extended SQLite result code (e.g. SQLITE_CONSTRAINT_PRIMARYKEY), 0 when the error did not come from SQLite.
  int sqlite_code() const noexcept { return sqlite_code_; }

 private:
  int sqlite_code_;
};

// Call from a catch block only: rethrows the exception being handled as a StorageError whose message starts
// with `context` (a StorageError passes through unchanged, it already has its context).
[[noreturn]] void rethrow_as_storage_error(std::string_view context);

}  // namespace chat
