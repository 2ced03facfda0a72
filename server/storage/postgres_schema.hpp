#pragma once
// The PostgreSQL schema and its migrations, versioned in the table chat_schema.

namespace chat {

class PostgresConnection;

// The version a fully migrated database has.
int current_postgres_schema_version() noexcept;

// Brings the database up to the current version, each step in its own transaction under an advisory lock, so
// servers starting together migrate once and a crash mid-migration leaves the previous version intact.
// Returns the version found before migrating (0 for a new database). Throws PostgresError if a step fails,
// std::runtime_error if the database comes from a newer version of the server.
int migrate_postgres(PostgresConnection& connection);

}  // namespace chat
