#pragma once

#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/dispatch/command.hpp"

namespace chat {

// Every operation of the protocol, looked up by name. Filled once at
// start-up, then read-only (safe to read from any thread).
class CommandTable {
 public:
  CommandTable();

  const CommandSpec* find(std::string_view op) const;
  void add(CommandSpec spec);

 private:
  std::unordered_map<std::string_view, CommandSpec> commands_;
};

// Declared in commands/*.cpp, one per area of the protocol.
void add_account_commands(CommandTable& table);
void add_room_commands(CommandTable& table);
void add_moderation_commands(CommandTable& table);
void add_message_commands(CommandTable& table);
void add_info_commands(CommandTable& table);

}  // namespace chat
