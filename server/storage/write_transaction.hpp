#pragma once

#include "server/storage/sqlite_connection.hpp"

namespace chat {

// BEGIN IMMEDIATE ... COMMIT on a connection, rolled back unless committed,
// like SQLite::Transaction, but through the connection's cached statements:
// SQLite::Transaction runs sqlite3_exec, which parses and allocates its SQL
// anew for every transaction, and a group commit is one transaction per batch
// on the message path.
class WriteTransaction {
 public:
  explicit WriteTransaction(SqliteConnection& connection);
  ~WriteTransaction();
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;

  void commit();

 private:
  SqliteConnection& connection_;
  bool finished_ = false;
};

}  // namespace chat
