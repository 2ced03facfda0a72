#pragma once

#include <map>
#include <set>
#include <string>

namespace chat::client {

// Room and user names the client has come across, offered by tab completion:
// rooms joined or listed, users seen anywhere, and per room the members and
// speakers seen there (for "nick: " at the start of a line).
struct KnownNames {
  std::set<std::string> rooms;
  std::set<std::string> users;
  std::map<std::string, std::set<std::string>, std::less<>> members;  // by room

  void add_room(const std::string& name) {
    if (!name.empty()) rooms.insert(name);
  }
  void add_user(const std::string& name) {
    if (!name.empty()) users.insert(name);
  }
  // A user seen in `room` (a speaker, a member listed, one who joined).
  void add_member(const std::string& room, const std::string& name) {
    add_user(name);
    if (!room.empty() && !name.empty()) members[room].insert(name);
  }
};

}  // namespace chat::client
