#pragma once
// The Store the options name: SQLite's file or a PostgreSQL database.

#include <memory>

#include "server/storage/store.hpp"
#include "server/storage/store_options.hpp"

namespace chat {

// Throws StorageError when the store cannot be opened.
std::unique_ptr<Store> open_store(const StoreOptions& options);

}  // namespace chat
