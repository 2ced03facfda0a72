#include "server/storage/storage_error.hpp"

#include <SQLiteCpp/Exception.h>
#include <spdlog/fmt/fmt.h>

namespace chat {

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
