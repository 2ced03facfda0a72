#pragma once

#include <set>
#include <string>

namespace chat::client {

// Room and user names the client has come across, offered by tab completion.
struct KnownNames {
  std::set<std::string> rooms;
  std::set<std::string> users;

  void add_room(const std::string& name) {
    if (!name.empty()) rooms.insert(name);
  }
  void add_user(const std::string& name) {
    if (!name.empty()) users.insert(name);
  }
};

}  // namespace chat::client
