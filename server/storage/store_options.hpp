#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace chat {

struct StoreOptions {
  // What the Store checks of an existing file before it serves it: `quick` (PRAGMA quick_check: every page
  // and b-tree, in about a second per few hundred MiB), `full` (integrity_check: also every index against its
  // table, slower) or nothing. A file that fails is refused.
  enum class StartCheck { off, quick, full };
  // Where the data lives: one SQLite file (the embedded default) or a PostgreSQL database.
  enum class Backend { sqlite, postgres };

  // SQLite's file; its parent directory is created if missing. The rest below is SQLite's too, except
  // read_connections (both backends).
  std::filesystem::path path;
  // "NORMAL" survives kill -9 of the process in WAL mode (the promise the server makes); "FULL" also
  // survives power loss, at the cost of an fsync per commit. "OFF" and "EXTRA" are accepted too.
  std::string synchronous = "NORMAL";
  int busy_timeout_ms = 5000;
  std::size_t read_connections = 4;  // reader pool size; at least 1 is opened
  // WAL pages at which a background thread starts copying the WAL back into the database (16 MiB: four times
  // SQLite's automatic threshold, so that the writer's short share of each checkpoint comes a quarter as
  // often), and the size past which the writer finishes that copy itself (see WalCheckpointer).
  int checkpoint_pages = 4000;
  int wal_max_pages = 16384;
  StartCheck check_at_start = StartCheck::quick;

  Backend backend = Backend::sqlite;
  std::string postgres_url = {};  // libpq's URI or key=value string; the postgres backend only
};

}  // namespace chat
