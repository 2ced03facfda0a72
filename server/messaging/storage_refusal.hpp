#pragma once

#include <string>

#include "server/storage/storage_health.hpp"

namespace chat {

// What a client is told when a request fails because storage fails (StorageHealth: a full disk, an I/O
// error...): that, SQLite's words for why — never a path — and that nothing was stored, so a retry is safe.
// Sent with the code `internal`, by the send path (refused up front while storage fails, or failed in its
// commit) and by the router for any other write.
std::string storage_refusal(const StorageHealth::Snapshot& health);

}  // namespace chat
