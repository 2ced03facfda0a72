#include "server/storage/sqlite_schema.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <spdlog/fmt/fmt.h>

#include <array>
#include <string_view>

#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// migrations[i] takes the schema from version i to i + 1. Append, never edit a step that has shipped.
//
// User names are stored as text rather than as foreign keys to users: the server checks users before writing,
// and the message hot path would otherwise pay a second index lookup per row. Rooms are referenced by id so
// that the per-room indexes stay small.
constexpr std::array<std::string_view, 5> migrations{
    R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  created_ms    INTEGER NOT NULL
);

CREATE TABLE rooms (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  is_private INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
  topic      TEXT    NOT NULL DEFAULT '',
  owner      TEXT    NOT NULL,
  created_ms INTEGER NOT NULL
);

CREATE TABLE memberships (
  room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user      TEXT    NOT NULL,
  role      INTEGER NOT NULL CHECK (role BETWEEN 0 AND 2),
  joined_ms INTEGER NOT NULL,
  PRIMARY KEY (room_id, user)
) WITHOUT ROWID;

CREATE TABLE bans (
  room_id    INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user       TEXT    NOT NULL,
  banned_by  TEXT    NOT NULL,
  reason     TEXT    NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (room_id, user)
) WITHOUT ROWID;

CREATE TABLE invites (
  room_id    INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  user       TEXT    NOT NULL,
  invited_by TEXT    NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (room_id, user)
) WITHOUT ROWID;

-- Clustered on (room_id, seq): history pages and replays are range scans of one b-tree.
CREATE TABLE messages (
  room_id   INTEGER NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
  seq       INTEGER NOT NULL CHECK (seq > 0),
  sender    TEXT    NOT NULL,
  ts_ms     INTEGER NOT NULL,
  text      TEXT    NOT NULL,
  client_id TEXT,
  PRIMARY KEY (room_id, seq)
) WITHOUT ROWID;

CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE direct_messages (
  id        INTEGER PRIMARY KEY,
  sender    TEXT    NOT NULL,
  recipient TEXT    NOT NULL,
  ts_ms     INTEGER NOT NULL,
  text      TEXT    NOT NULL,
  client_id TEXT,
  delivered INTEGER NOT NULL DEFAULT 0 CHECK (delivered IN (0, 1))
);

CREATE UNIQUE INDEX direct_messages_client_id ON direct_messages (sender, client_id) WHERE client_id IS NOT NULL;
-- Only the undelivered backlog is indexed; delivered messages drop out of it.
CREATE INDEX direct_messages_undelivered ON direct_messages (recipient, id) WHERE delivered = 0;
)sql",
    // A direct message's client id names it among the sender's messages to one recipient, as a room message's
    // does among the sender's messages to one room: the same cid to someone else is another message.
    R"sql(
DROP INDEX direct_messages_client_id;
CREATE UNIQUE INDEX direct_messages_client_id ON direct_messages (sender, recipient, client_id)
  WHERE client_id IS NOT NULL;
)sql",
    // Messages belong to a principal, not to a name: an account is its users.id, a guest a negative id that is
    // never given again (GuestIds), so a guest's name going free hands nothing of the guest's to whoever takes
    // it next. Rows written before carry only names: a sender or recipient is the account of that name if the
    // account existed at the message's time, and otherwise a guest — one id per name, as guests of one name
    // can no longer be told apart — drawn from a run of its own (started_ms 0).
    R"sql(
-- Every start of the server takes a run; guests' ids are drawn from it. AUTOINCREMENT: never a number twice.
CREATE TABLE runs (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  started_ms INTEGER NOT NULL
);
INSERT INTO runs (started_ms) VALUES (0);
CREATE TEMP TABLE legacy_guests (n INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT OR IGNORE INTO legacy_guests (name)
  SELECT sender FROM messages m
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.name = m.sender AND u.created_ms <= m.ts_ms)
  UNION ALL SELECT sender FROM direct_messages d
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.name = d.sender AND u.created_ms <= d.ts_ms)
  UNION ALL SELECT recipient FROM direct_messages d
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.name = d.recipient AND u.created_ms <= d.ts_ms);

ALTER TABLE messages ADD COLUMN sender_id INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET sender_id = COALESCE(
  (SELECT u.id FROM users u WHERE u.name = messages.sender AND u.created_ms <= messages.ts_ms),
  -((SELECT MAX(id) FROM runs) * 4294967296 + (SELECT g.n FROM legacy_guests g WHERE g.name = messages.sender)));
DROP INDEX messages_client_id;
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, sender_id, client_id) WHERE client_id IS NOT NULL;

ALTER TABLE direct_messages ADD COLUMN sender_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN recipient_id INTEGER NOT NULL DEFAULT 0;
UPDATE direct_messages SET
  sender_id = COALESCE(
    (SELECT u.id FROM users u WHERE u.name = direct_messages.sender AND u.created_ms <= direct_messages.ts_ms),
    -((SELECT MAX(id) FROM runs) * 4294967296 +
      (SELECT g.n FROM legacy_guests g WHERE g.name = direct_messages.sender))),
  recipient_id = COALESCE(
    (SELECT u.id FROM users u WHERE u.name = direct_messages.recipient AND u.created_ms <= direct_messages.ts_ms),
    -((SELECT MAX(id) FROM runs) * 4294967296 +
      (SELECT g.n FROM legacy_guests g WHERE g.name = direct_messages.recipient)));
DROP INDEX direct_messages_client_id;
CREATE UNIQUE INDEX direct_messages_client_id ON direct_messages (sender_id, recipient_id, client_id)
  WHERE client_id IS NOT NULL;
DROP INDEX direct_messages_undelivered;
CREATE INDEX direct_messages_undelivered ON direct_messages (recipient_id, id) WHERE delivered = 0;
DROP TABLE legacy_guests;
)sql",
    // Administrators are made on the host (`chat-server user add --admin`, `user set-admin`) and stored with
    // their account. A list of names in the configuration handed the rights to whoever registered a listed
    // name first.
    R"sql(
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1));
)sql",
    // A message is text or an action (IRC's /me), a MessageKind. The default is text, so rows written before
    // are what they were; ADD COLUMN with a constant default rewrites no row.
    R"sql(
ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE direct_messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
)sql"};

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

}  // namespace

int current_schema_version() noexcept { return static_cast<int>(migrations.size()); }

int migrate(SQLite::Database& db, int target) {
  int found = 0;
  try {
    found = user_version(db);
  } catch (...) {
    rethrow_as_storage_error("read schema version");
  }
  if (target < 0 || target > current_schema_version()) throw StorageError(fmt::format("no schema version {}", target));
  if (found > current_schema_version()) {
    throw StorageError(fmt::format("schema version {} is newer than this server's {}", found,
                                   current_schema_version()));
  }
  for (int version = found; version < target; ++version) {
    try {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      // Re-read inside the write lock: another process may have migrated between the check and now.
      if (user_version(db) != version) {
        throw StorageError(fmt::format("schema changed concurrently (expected version {})", version));
      }
      db.exec(std::string(migrations[static_cast<std::size_t>(version)]));
      db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
      transaction.commit();
    } catch (...) {
      rethrow_as_storage_error(fmt::format("migrate schema {} -> {}", version, version + 1));
    }
  }
  return found;
}

}  // namespace chat
