#include "server/storage/database_backup.hpp"

#include <SQLiteCpp/Database.h>
#include <fcntl.h>
#include <spdlog/fmt/fmt.h>
#include <sqlite3.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <system_error>

#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// fsync of a file or a folder; the rename is durable only once the folder is synced too.
void sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const std::error_code ec(errno, std::generic_category());
    if (fd >= 0) ::close(fd);
    throw StorageError(fmt::format("sync '{}': {}", path.string(), ec.message()));
  }
  ::close(fd);
}

// Removes the temporary file unless the backup got as far as renaming it.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::filesystem::path path) : path_(std::move(path)) { remove(); }
  ~TemporaryFile() {
    if (!kept_) remove();
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }
  void keep() noexcept { kept_ = true; }

 private:
  void remove() noexcept {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(path_.string() + "-journal", ignored);
  }
  std::filesystem::path path_;
  bool kept_ = false;
};

// Copies every page of `source` into `target` in one step, that is in one read transaction of `source`.
std::int64_t copy_pages(SQLite::Database& source, SQLite::Database& target) {
  std::unique_ptr<sqlite3_backup, decltype(&sqlite3_backup_finish)> backup(
      sqlite3_backup_init(target.getHandle(), "main", source.getHandle(), "main"), &sqlite3_backup_finish);
  if (!backup) throw SQLite::Exception(target.getHandle(), sqlite3_errcode(target.getHandle()));
  // The source connection's busy timeout covers a lock held elsewhere; BUSY and LOCKED after it are errors.
  const int rc = sqlite3_backup_step(backup.get(), -1);
  const std::int64_t pages = sqlite3_backup_pagecount(backup.get());
  if (rc != SQLITE_DONE) throw SQLite::Exception(sqlite3_errstr(rc), rc);
  if (const int finished = sqlite3_backup_finish(backup.release()); finished != SQLITE_OK) {
    throw SQLite::Exception(target.getHandle(), finished);
  }
  return pages;
}

}  // namespace

BackupResult backup_database(const std::filesystem::path& source, const std::filesystem::path& target,
                             int busy_timeout_ms) {
  const auto started = std::chrono::steady_clock::now();
  TemporaryFile temporary(target.string() + ".tmp");
  BackupResult result;
  {
    // Read-only and without CREATE: a mistyped path must fail, not leave an empty database behind.
    SQLite::Database from = [&] {
      try {
        return SQLite::Database(source.string(), SQLite::OPEN_READONLY, busy_timeout_ms);
      } catch (...) {
        rethrow_as_storage_error(fmt::format("open '{}'", source.string()));
      }
    }();
    try {
      SQLite::Database to(temporary.path().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, busy_timeout_ms);
      result.pages = copy_pages(from, to);
      // The copy says WAL, like its source; a backup is better one file that can be moved on its own.
      to.exec("PRAGMA journal_mode=DELETE");
      const std::string verdict = to.execAndGet("PRAGMA quick_check").getString();
      if (verdict != "ok") throw SQLite::Exception("the copy failed its quick_check: " + verdict, SQLITE_CORRUPT);
    } catch (...) {
      rethrow_as_storage_error(fmt::format("copy '{}' to '{}'", source.string(), temporary.path().string()));
    }
  }
  sync_path(temporary.path(), O_RDONLY);
  std::error_code ec;
  std::filesystem::rename(temporary.path(), target, ec);
  if (ec) throw StorageError(fmt::format("rename '{}' to '{}': {}", temporary.path().string(), target.string(), ec.message()));
  temporary.keep();
  sync_path(target.has_parent_path() ? target.parent_path() : std::filesystem::path("."), O_RDONLY | O_DIRECTORY);
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace chat
