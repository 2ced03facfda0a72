#pragma once
// `chat-server migrate --to URL`: the SQLite database copied into an empty PostgreSQL database.

#include <cstdint>
#include <string>

#include "server/storage/store_options.hpp"

namespace chat {

struct MigrationCounts {
  std::int64_t users = 0, runs = 0, rooms = 0, memberships = 0, bans = 0, invites = 0, messages = 0,
               direct_messages = 0;
  std::int64_t nul_replaced = 0;  // texts that held U+0000 (a server before the protocol refused it stored it)
};

// Copies every row of the SQLite database `sqlite` names (checked and migrated to the current schema first, as
// a start of the server would) into the PostgreSQL database at `url`, which must hold no chat data yet (its
// schema is created if missing). Ids, seqs and password hashes are kept, so accounts log in as before, clients
// resume with `since`, and guests' ids of later runs are never ones given before. A U+0000 in a text, which
// PostgreSQL cannot store, becomes U+FFFD (counted). One transaction: on any failure no chat data is copied.
// Meant for a database no server has started on yet (a start adds a run and the default room). The server must not be running on the SQLite file (its
// later commits would be missed). Throws StorageError.
MigrationCounts migrate_sqlite_to_postgres(const StoreOptions& sqlite, const std::string& url);

}  // namespace chat
