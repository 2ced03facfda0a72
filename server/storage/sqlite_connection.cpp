#include "server/storage/sqlite_connection.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

// The pragma value is spliced into SQL text, so only known words get through.
std::string checked_synchronous(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  constexpr std::array<std::string_view, 4> allowed{"OFF", "NORMAL", "FULL", "EXTRA"};
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    throw StorageError(fmt::format("invalid synchronous setting '{}' (OFF, NORMAL, FULL or EXTRA)", value));
  }
  return value;
}

// Why SQLite could not open the file, in the system's words ("Is a directory"): SQLite says only "unable to
// open database file". Empty when the file and its folder look usable.
std::string open_failure_reason(const std::filesystem::path& path, SqliteConnection::Mode mode) {
  const bool write = mode == SqliteConnection::Mode::read_write;
  const int fd = ::open(path.c_str(), (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd >= 0) ::close(fd);
  if (fd < 0 && !(errno == ENOENT && write)) return std::strerror(errno);
  // A new file, and the -wal and -shm files beside any, need a folder that takes files.
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (write && ::access(folder.c_str(), W_OK | X_OK) != 0) {
    return fmt::format("folder '{}': {}", folder.string(), std::strerror(errno));
  }
  return {};
}

SQLite::Database open_database(const StoreOptions& options, SqliteConnection::Mode mode) {
  if (mode == SqliteConnection::Mode::read_write && options.path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(options.path.parent_path(), ec);
    if (ec) {
      throw StorageError(fmt::format("cannot create directory '{}': {}", options.path.parent_path().string(),
                                     ec.message()));
    }
  }
  const int flags = mode == SqliteConnection::Mode::read_write ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE
                                                         : SQLite::OPEN_READONLY;
  try {
    return SQLite::Database(options.path.string(), flags, options.busy_timeout_ms);
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() != SQLITE_CANTOPEN) rethrow_as_storage_error(fmt::format("open '{}'", options.path.string()));
    const auto reason = open_failure_reason(options.path, mode);
    throw StorageError(fmt::format("open '{}': {}{}", options.path.string(), e.what(),
                                   reason.empty() ? "" : " (" + reason + ")"),
                       e.getExtendedErrorCode());
  } catch (...) {
    rethrow_as_storage_error(fmt::format("open '{}'", options.path.string()));
  }
}

}  // namespace

SqliteConnection::SqliteConnection(const StoreOptions& options, Mode mode) : db_(open_database(options, mode)) {
  const std::string context = fmt::format("configure '{}'", options.path.string());
  try {
    if (mode == Mode::read_write) {
      // journal_mode answers with the mode it ended up in; anything but "wal" would silently lose the
      // concurrent readers and the kill -9 guarantee of synchronous=NORMAL.
      const std::string journal = db_.execAndGet("PRAGMA journal_mode=WAL").getString();
      if (journal != "wal") {
        throw StorageError(fmt::format("{}: journal_mode is '{}', WAL required", context, journal));
      }
      db_.exec("PRAGMA synchronous=" + checked_synchronous(options.synchronous));
      db_.exec("PRAGMA foreign_keys=ON");
    } else {
      // A reader must never write, even by mistake in a query.
      db_.exec("PRAGMA query_only=ON");
    }
  } catch (...) {
    rethrow_as_storage_error(context);
  }
}

StatementLease SqliteConnection::statement(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    try {
      std::string text(sql);
      auto statement = std::make_unique<SQLite::Statement>(db_, text);
      it = statements_.emplace(std::move(text), std::move(statement)).first;
    } catch (...) {
      rethrow_as_storage_error(fmt::format("prepare '{}'", sql));
    }
  }
  it->second->clearBindings();
  return StatementLease(*it->second);
}

}  // namespace chat
