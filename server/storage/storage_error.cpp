#include "server/storage/storage_error.hpp"

#include <SQLiteCpp/Exception.h>
#include <spdlog/fmt/fmt.h>
#include <sqlite3.h>

#include <utility>

#include "server/storage/storage_health.hpp"

namespace chat {

StorageError::StorageError(const std::string& what, int sqlite_code)
    : std::runtime_error(what),
      sqlite_code_(sqlite_code),
      fault_(StorageHealth::is_fault(sqlite_code)),
      reason_(sqlite_code != 0 ? sqlite3_errstr(sqlite_code) : what) {}

StorageError::StorageError(const std::string& what, bool fault, std::string reason)
    : std::runtime_error(what), fault_(fault), reason_(std::move(reason)) {}

void rethrow_as_storage_error(std::string_view context) {
  try {
    throw;
  } catch (const StorageError&) {
    throw;
  } catch (const SQLite::Exception& e) {
    throw StorageError(fmt::format("{}: {}", context, e.what()), e.getExtendedErrorCode());
  } catch (const std::exception& e) {
    throw StorageError(fmt::format("{}: {}", context, e.what()));
  }
}

}  // namespace chat
