#include "server/storage/sqlite_to_postgres.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <spdlog/fmt/fmt.h>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/storage/postgres_connection.hpp"
#include "server/storage/postgres_store.hpp"
#include "server/storage/sqlite_store.hpp"
#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// Rows go over in chunks, each one INSERT of arrays: a handful of round trips per thousand rows.
constexpr int kChunkRows = 1000;

// One table's copy: the SELECT on SQLite, the INSERT ... SELECT FROM unnest(...) on PostgreSQL, and for each
// column whether it is an integer (else text, NULL allowed).
struct TableCopy {
  const char* name;
  const char* select;
  const char* insert;
  std::vector<bool> integer;
};

// Identity columns are given their values (OVERRIDING SYSTEM VALUE); their sequences are moved past them after.
const std::vector<TableCopy> tables{
    {"users", "SELECT id, name, password_hash, created_ms, is_admin FROM users ORDER BY id",
     "INSERT INTO users (id, name, password_hash, created_ms, is_admin) OVERRIDING SYSTEM VALUE"
     " SELECT id, name, hash, created, admin <> 0 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[],"
     " $5::bigint[]) AS t(id, name, hash, created, admin)",
     {true, false, false, true, true}},
    {"runs", "SELECT id, started_ms FROM runs ORDER BY id",
     "INSERT INTO runs (id, started_ms) OVERRIDING SYSTEM VALUE SELECT * FROM unnest($1::bigint[], $2::bigint[])",
     {true, true}},
    {"rooms",
     "SELECT r.id, r.name, r.is_private, r.topic, r.owner, r.created_ms,"
     " COALESCE((SELECT MAX(m.seq) FROM messages m WHERE m.room_id = r.id), 0) FROM rooms r ORDER BY r.id",
     "INSERT INTO rooms (id, name, is_private, topic, owner, created_ms, last_seq) OVERRIDING SYSTEM VALUE"
     " SELECT id, name, private <> 0, topic, owner, created, last FROM unnest($1::bigint[], $2::text[],"
     " $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])"
     " AS t(id, name, private, topic, owner, created, last)",
     {true, false, true, false, false, true, true}},
    {"memberships", "SELECT room_id, user, role, joined_ms FROM memberships ORDER BY room_id, user",
     "INSERT INTO memberships (room_id, user_name, role, joined_ms)"
     " SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::bigint[])",
     {true, false, true, true}},
    {"bans", "SELECT room_id, user, banned_by, reason, created_ms FROM bans ORDER BY room_id, user",
     "INSERT INTO bans (room_id, user_name, banned_by, reason, created_ms)"
     " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])",
     {true, false, false, false, true}},
    {"invites", "SELECT room_id, user, invited_by, created_ms FROM invites ORDER BY room_id, user",
     "INSERT INTO invites (room_id, user_name, invited_by, created_ms)"
     " SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])",
     {true, false, false, true}},
    {"messages",
     "SELECT room_id, seq, sender, sender_id, ts_ms, text, client_id, kind FROM messages ORDER BY room_id, seq",
     "INSERT INTO messages (room_id, seq, sender, sender_id, ts_ms, text, client_id, kind)"
     " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],"
     " $7::text[], $8::smallint[])",
     {true, true, false, true, true, false, false, true}},
    {"direct_messages",
     "SELECT id, sender, sender_id, recipient, recipient_id, ts_ms, text, client_id, kind, delivered"
     " FROM direct_messages ORDER BY id",
     "INSERT INTO direct_messages (id, sender, sender_id, recipient, recipient_id, ts_ms, text, client_id, kind,"
     " delivered) OVERRIDING SYSTEM VALUE SELECT id, sender, sender_id, recipient, recipient_id, ts, text, cid,"
     " kind, delivered <> 0 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[],"
     " $6::bigint[], $7::text[], $8::text[], $9::smallint[], $10::bigint[])"
     " AS t(id, sender, sender_id, recipient, recipient_id, ts, text, cid, kind, delivered)",
     {true, false, true, false, true, true, false, false, true, true}},
};

// U+0000 is no character PostgreSQL's text can hold; U+FFFD (the replacement character) stands in for it.
std::string without_nul(std::string text, std::int64_t& replaced) {
  if (text.find('\0') == std::string::npos) return text;
  ++replaced;
  std::string out;
  for (const char c : text) {
    if (c == '\0') {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

// Copies one table in chunks; returns its row count.
std::int64_t copy_table(SQLite::Database& from, PostgresConnection& to, const TableCopy& table,
                        std::int64_t& nul_replaced) {
  SQLite::Statement select(from, table.select);
  const std::size_t columns = table.integer.size();
  std::vector<std::vector<std::int64_t>> integers(columns);
  std::vector<std::vector<std::optional<std::string>>> texts(columns);
  std::int64_t copied = 0;
  int in_chunk = 0;
  auto flush = [&] {
    if (in_chunk == 0) return;
    PostgresParams params;
    for (std::size_t c = 0; c < columns; ++c) {
      if (table.integer[c]) {
        params.add_array(integers[c]);
        integers[c].clear();
      } else {
        params.add_array(texts[c]);
        texts[c].clear();
      }
    }
    to.query(table.insert, params);
    copied += in_chunk;
    in_chunk = 0;
  };
  while (select.executeStep()) {
    for (std::size_t c = 0; c < columns; ++c) {
      const auto column = select.getColumn(static_cast<int>(c));
      if (table.integer[c]) {
        integers[c].push_back(column.getInt64());
      } else if (column.isNull()) {
        texts[c].emplace_back(std::nullopt);
      } else {
        texts[c].emplace_back(without_nul(column.getString(), nul_replaced));
      }
    }
    if (++in_chunk == kChunkRows) flush();
  }
  flush();
  return copied;
}

}  // namespace

MigrationCounts migrate_sqlite_to_postgres(const StoreOptions& sqlite, const std::string& url) {
  // Opening each store checks and migrates it, as a server's start would: SQLite's file to the current
  // schema (and refused if damaged), PostgreSQL's schema created. A missing file is no database to copy (the
  // store would make a new one).
  if (!std::filesystem::exists(sqlite.path)) {
    throw StorageError(fmt::format("no SQLite database at '{}' (storage.path, --db)", sqlite.path.string()));
  }
  { SqliteStore checked(sqlite); }
  { PostgresStore created(url, 1); }
  const auto where = fmt::format("migrate '{}' to PostgreSQL", sqlite.path.string());
  try {
    SQLite::Database from(sqlite.path.string(), SQLite::OPEN_READONLY);
    PostgresConnection to(url);
    PostgresTransaction transaction(to);
    // Nobody else writes chat data meanwhile: a server starting on the database would wait here.
    to.exec("LOCK TABLE users, runs, rooms, memberships, bans, invites, messages, direct_messages IN EXCLUSIVE MODE");
    for (const char* table : {"users", "runs", "rooms", "messages", "direct_messages"}) {
      if (to.exec(fmt::format("SELECT 1 FROM {} LIMIT 1", table)).rows() != 0) {
        throw std::runtime_error(fmt::format("the PostgreSQL database already holds chat data (table {} is not "
                                             "empty): migrate into an empty database, before any server starts on "
                                             "it (a start adds a run and the default room)",
                                             table));
      }
    }
    // One read transaction on SQLite: every table from the same moment.
    from.exec("BEGIN");
    MigrationCounts counts;
    std::int64_t* const targets[] = {&counts.users,   &counts.runs,     &counts.rooms,    &counts.memberships,
                                     &counts.bans,    &counts.invites,  &counts.messages, &counts.direct_messages};
    for (std::size_t i = 0; i < tables.size(); ++i) {
      *targets[i] = copy_table(from, to, tables[i], counts.nul_replaced);
    }
    // The identities go on after the copied ids; runs after every number SQLite ever gave (AUTOINCREMENT
    // remembers deleted ones), so no guest id of a later run is one given before.
    SQLite::Statement last_run(from, "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'runs'");
    last_run.executeStep();
    const std::int64_t last_run_id = last_run.getColumn(0).getInt64();
    from.exec("COMMIT");
    for (const char* table : {"users", "rooms", "direct_messages"}) {
      to.exec(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                          " FROM {0}",
                          table));
    }
    to.exec(fmt::format("SELECT setval(pg_get_serial_sequence('runs', 'id'), GREATEST(COALESCE(MAX(id), 0), {}) + 1,"
                        " false) FROM runs",
                        last_run_id));
    transaction.commit();
    return counts;
  } catch (...) {
    rethrow_postgres_as_storage_error(where);
  }
}

}  // namespace chat
