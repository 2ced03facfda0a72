#include "server/dispatch/command_table.hpp"

#include <stdexcept>

namespace chat {

CommandTable::CommandTable() {
  add_account_commands(*this);
  add_room_commands(*this);
  add_moderation_commands(*this);
  add_message_commands(*this);
  add_info_commands(*this);
}

const CommandSpec* CommandTable::find(std::string_view op) const {
  const auto it = commands_.find(op);
  return it == commands_.end() ? nullptr : &it->second;
}

void CommandTable::add(CommandSpec spec) {
  const auto op = spec.op;
  if (!commands_.emplace(op, std::move(spec)).second) {
    throw std::logic_error("command declared twice: " + std::string(op));
  }
}

}  // namespace chat
