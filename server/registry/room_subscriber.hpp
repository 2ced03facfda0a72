#pragma once

#include <cstdint>
#include <string>

#include "server/registry/participant.hpp"

namespace chat {

// One live connection subscribed to a room: it receives the room's messages.
struct RoomSubscriber {
  std::string user;  // canonical user name
  ParticipantPtr participant;
  // Cached participant->connection_id(): lookups never call into a participant.
  std::uint64_t connection_id = 0;
};

}  // namespace chat
