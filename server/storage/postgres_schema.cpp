#include "server/storage/postgres_schema.hpp"

#include <spdlog/fmt/fmt.h>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

#include "server/storage/postgres_connection.hpp"

namespace chat {
namespace {

// migrations[i] takes the schema from version i to i + 1. Append, never edit a step that has shipped.
//
// The same tables as SQLite's schema at its version 5, with two differences a shared database needs: a room
// keeps its newest seq in rooms.last_seq, so appending locks the room's row and servers appending to one room
// take turns (seqs stay gapless and unique); and identities (never reused) number users, rooms, runs and
// direct messages. A member's name is `user_name` (`user` is reserved in PostgreSQL).
constexpr std::array<std::string_view, 2> migrations{
    R"sql(
CREATE TABLE users (
  id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  created_ms    BIGINT  NOT NULL,
  is_admin      BOOLEAN NOT NULL DEFAULT false
);

-- Every start of a server takes a run; guests' ids are drawn from it.
CREATE TABLE runs (
  id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  started_ms BIGINT NOT NULL
);

CREATE TABLE rooms (
  id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  is_private BOOLEAN NOT NULL DEFAULT false,
  topic      TEXT    NOT NULL DEFAULT '',
  owner      TEXT    NOT NULL,
  created_ms BIGINT  NOT NULL,
  last_seq   BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE memberships (
  room_id   BIGINT   NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_name TEXT     NOT NULL,
  role      SMALLINT NOT NULL CHECK (role BETWEEN 0 AND 2),
  joined_ms BIGINT   NOT NULL,
  PRIMARY KEY (room_id, user_name)
);

CREATE TABLE bans (
  room_id    BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_name  TEXT   NOT NULL,
  banned_by  TEXT   NOT NULL,
  reason     TEXT   NOT NULL DEFAULT '',
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_name)
);

CREATE TABLE invites (
  room_id    BIGINT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user_name  TEXT   NOT NULL,
  invited_by TEXT   NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (room_id, user_name)
);

CREATE TABLE messages (
  room_id   BIGINT   NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq       BIGINT   NOT NULL CHECK (seq > 0),
  sender    TEXT     NOT NULL,
  sender_id BIGINT   NOT NULL,
  ts_ms     BIGINT   NOT NULL,
  text      TEXT     NOT NULL,
  client_id TEXT,
  kind      SMALLINT NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, seq)
);
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE direct_messages (
  id           BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sender       TEXT     NOT NULL,
  sender_id    BIGINT   NOT NULL,
  recipient    TEXT     NOT NULL,
  recipient_id BIGINT   NOT NULL,
  ts_ms        BIGINT   NOT NULL,
  text         TEXT     NOT NULL,
  client_id    TEXT,
  kind         SMALLINT NOT NULL DEFAULT 0,
  delivered    BOOLEAN  NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX direct_messages_client_id ON direct_messages (sender_id, recipient_id, client_id)
  WHERE client_id IS NOT NULL;
-- Only the undelivered backlog is indexed; delivered messages drop out of it.
CREATE INDEX direct_messages_undelivered ON direct_messages (recipient_id, id) WHERE NOT delivered;
)sql",
    // The nodes sharing the database (NodeDirectory): each one's last heartbeat, on the database's clock, and
    // the names its guests hold, so that a guest name is one guest's on every node.
    R"sql(
CREATE TABLE nodes (
  node TEXT        PRIMARY KEY,
  seen TIMESTAMPTZ NOT NULL
);
CREATE TABLE guest_names (
  name      TEXT   PRIMARY KEY,
  node      TEXT   NOT NULL,
  principal BIGINT NOT NULL UNIQUE
);
CREATE INDEX guest_names_node ON guest_names (node);
)sql"};

// Any number, the same in every server: the lock that makes one of several starting servers migrate.
constexpr std::string_view migration_lock = "SELECT pg_advisory_xact_lock(7777001)";

int read_version(PostgresConnection& connection) {
  const auto result = connection.exec("SELECT version FROM chat_schema");
  return result.rows() == 0 ? 0 : static_cast<int>(result.integer(0, 0));
}

}  // namespace

int current_postgres_schema_version() noexcept { return static_cast<int>(migrations.size()); }

int migrate_postgres(PostgresConnection& connection) {
  {
    PostgresTransaction transaction(connection);
    connection.exec(std::string(migration_lock));
    connection.exec("CREATE TABLE IF NOT EXISTS chat_schema (version INTEGER NOT NULL)");
    if (connection.exec("SELECT 1 FROM chat_schema").rows() == 0) {
      connection.exec("INSERT INTO chat_schema (version) VALUES (0)");
    }
    transaction.commit();
  }
  const int found = read_version(connection);
  if (found > current_postgres_schema_version()) {
    // Not a StorageError: the store adds the database's name to whatever this throws.
    throw std::runtime_error(fmt::format("schema version {} is newer than this server's {}", found,
                                         current_postgres_schema_version()));
  }
  for (int version = found; version < current_postgres_schema_version(); ++version) {
    PostgresTransaction transaction(connection);
    connection.exec(std::string(migration_lock));
    // Re-read under the lock: another server may have migrated between the check and now.
    const int now = read_version(connection);
    if (now > version) continue;  // done by another server; the transaction rolls back (it wrote nothing)
    connection.exec(std::string(migrations[static_cast<std::size_t>(version)]));
    connection.exec(fmt::format("UPDATE chat_schema SET version = {}", version + 1));
    transaction.commit();
  }
  return found;
}

}  // namespace chat
