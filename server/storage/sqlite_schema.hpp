#pragma once
// The database schema and its migrations, versioned with PRAGMA user_version.

namespace SQLite {
class Database;
}

namespace chat {

// The version a fully migrated database has.
int current_schema_version() noexcept;

// Brings the database up to `target` (by default current_schema_version()), each step in its own
// transaction, so a crash mid-migration leaves the previous version intact. Returns the version found before
// migrating (0 for a new file). Throws StorageError if a step fails or the file comes from a newer version of
// the server. Call on the write connection before anything else uses the file. An older target is for tests
// that write rows the way an earlier server did.
int migrate(SQLite::Database& db, int target = current_schema_version());

}  // namespace chat
