#pragma once

#include <string>

namespace chat {

// A room's settings as stored and shown to clients.
struct RoomSettings {
  bool is_private = false;
  std::string topic;
  std::string owner;  // canonical user name of the creator
};

}  // namespace chat
