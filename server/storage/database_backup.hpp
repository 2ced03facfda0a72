#pragma once
// An online copy of the database through SQLite's backup API, for `chat-server backup FILE`.

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace chat {

struct BackupResult {
  std::int64_t pages = 0;
  std::chrono::milliseconds took{0};
};

// Copies the database at `source` into `target`. Safe while a server writes to `source`: the copy is one
// read transaction on a connection of its own, which in WAL mode neither waits for the writer nor holds it
// up, and so is the snapshot of one moment (checkpoints only wait for it to end before they copy past it).
// Writes `target`.tmp, checks it with quick_check, syncs it, and renames it over `target`: a reader of
// `target` finds the previous backup or the whole new one. The copy is one self-contained file (journal
// mode DELETE, no -wal beside it). Never creates `source`. Throws StorageError naming the file at fault;
// the temporary file is removed then.
BackupResult backup_database(const std::filesystem::path& source, const std::filesystem::path& target,
                             int busy_timeout_ms);

}  // namespace chat
