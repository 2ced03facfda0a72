#include "server/storage/write_transaction.hpp"

namespace chat {

WriteTransaction::WriteTransaction(SqliteConnection& connection) : connection_(connection) {
  connection_.statement("BEGIN IMMEDIATE")->exec();
}

WriteTransaction::~WriteTransaction() {
  if (finished_) return;
  try {
    connection_.statement("ROLLBACK")->exec();
  } catch (...) {
    // Nothing to roll back: SQLite already ended the transaction after the error that brought us here.
  }
}

void WriteTransaction::commit() {
  connection_.statement("COMMIT")->exec();
  finished_ = true;
}

}  // namespace chat
