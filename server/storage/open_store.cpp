#include "server/storage/open_store.hpp"

#include "server/storage/postgres_store.hpp"
#include "server/storage/sqlite_store.hpp"

namespace chat {

std::unique_ptr<Store> open_store(const StoreOptions& options) {
  if (options.backend == StoreOptions::Backend::postgres) {
    return std::make_unique<PostgresStore>(options.postgres_url, options.read_connections);
  }
  return std::make_unique<SqliteStore>(options);
}

}  // namespace chat
