#pragma once
// Storage faults on demand for tests: a trigger makes SQLite or PostgreSQL refuse chosen messages, so the
// failure paths of the store, the group committer and the server run against a real database, with no hook in
// the product.

#include <SQLiteCpp/Database.h>

#include "server/storage/postgres_connection.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace chat::test {

// The text that the installed trigger refuses.
inline constexpr std::string_view kPoisonText = "poison";

// How a refused message fails: `ABORT` undoes only its own INSERT (the store's record-by-record retry keeps the
// rest), `ROLLBACK` ends the whole transaction (as an I/O error or a full disk would). On PostgreSQL the first
// raises an error, the second ends the server process of the inserting connection (the database gone).
enum class PoisonMode { abort_statement, rollback_transaction };

// Installs the trigger in the database file; connections already open see it at their next statement.
inline void poison_messages(const std::filesystem::path& db, PoisonMode mode = PoisonMode::abort_statement) {
  SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
  raw.exec(std::string("CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = '") +
           std::string(kPoisonText) + "' BEGIN SELECT RAISE(" +
           (mode == PoisonMode::abort_statement ? "ABORT" : "ROLLBACK") + ", 'poisoned message'); END");
}

// The same trigger in a PostgreSQL database (a libpq URI).
inline void poison_postgres_messages(const std::string& url, PoisonMode mode = PoisonMode::abort_statement) {
  PostgresConnection connection(url);
  connection.exec(std::string("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.text = '") +
                  std::string(kPoisonText) + "' THEN " +
                  (mode == PoisonMode::abort_statement ? "RAISE EXCEPTION 'poisoned message';"
                                                       : "PERFORM pg_terminate_backend(pg_backend_pid());") +
                  " END IF; RETURN NEW; END $$;"
                  " CREATE TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION poison()");
}

}  // namespace chat::test
