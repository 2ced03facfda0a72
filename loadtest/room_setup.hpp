#pragma once

#include <string>
#include <vector>

#include "loadtest/load_options.hpp"

namespace chat::loadtest {

// Creates the run's rooms before any member connects, so that members in
// every worker can simply join. The protocol lets guests create rooms only
// where the server allows it; when a guest is refused, the rooms are created
// by the --owner account instead (registered on first use).
// Throws std::runtime_error with the reason when a room cannot be created.
struct RoomSetupResult {
  std::string created_by;  // "guest" or "account"
};

RoomSetupResult create_rooms(const LoadOptions& options, const std::vector<std::string>& room_names);

}  // namespace chat::loadtest
