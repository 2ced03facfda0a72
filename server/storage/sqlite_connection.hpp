#pragma once
// One SQLite connection configured for the store, with a cache of prepared statements.
// Internal to the storage layer.

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "server/storage/store_options.hpp"

namespace chat {

// A cached statement in use. Resetting it on release matters: a stepped but unreset SELECT keeps its read
// snapshot open, which would show a reader stale data and keep checkpoints from finishing.
class StatementLease {
 public:
  explicit StatementLease(SQLite::Statement& statement) noexcept : statement_(&statement) {}
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;
  ~StatementLease() { statement_->tryReset(); }

  SQLite::Statement& operator*() const noexcept { return *statement_; }
  SQLite::Statement* operator->() const noexcept { return statement_; }

 private:
  SQLite::Statement* statement_;
};

// Not thread-safe: one thread at a time (the Store's write mutex or a ConnectionPool lease guarantees it).
class SqliteConnection {
 public:
  enum class Mode { read_write, read_only };

  // read_write creates the file (and its parent directory) and switches it to WAL; read_only expects a
  // database already in WAL mode. Throws StorageError.
  SqliteConnection(const StoreOptions& options, Mode mode);

  SQLite::Database& db() noexcept { return db_; }

  // The prepared statement for `sql`, prepared on first use and kept for the connection's life.
  // Throws StorageError if it does not compile.
  StatementLease statement(std::string_view sql);

 private:
  // Transparent, so a lookup by string_view does not build a std::string on every call.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept { return std::hash<std::string_view>{}(sql); }
  };

  SQLite::Database db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>, SqlHash, std::equal_to<>> statements_;
};

}  // namespace chat
