#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "client/slash_commands.hpp"

namespace chat::client {

// A slash command with its arguments sorted into named slots. Names are
// already canonical (lowercase, no '#'); a missing optional room means "the
// current room", decided later by whoever knows which room that is.
struct Command {
  const SlashCommand* spec = nullptr;
  std::optional<std::string> room;
  std::optional<std::string> user;  // the NAME of /login etc. too
  std::optional<std::string> text;  // topic, reason, message, /help topic, /wait text
  std::optional<std::int64_t> number;
  bool private_room = false;

  CommandId id() const noexcept { return spec->id; }
};

// A line without a leading '/': a message for the current room. "//text"
// sends "/text", so a message can start with a slash.
struct ChatText {
  std::string text;
};

// Why a line could not be understood, with the usage line to show.
struct UsageError {
  std::string message;
};

using ParsedLine = std::variant<std::monostate, ChatText, Command, UsageError>;

// Parses one line of user input. Blank lines give std::monostate.
ParsedLine parse_line(std::string_view line);

// "/kick USER [#room] [reason]".
std::string usage(const SlashCommand& spec);

}  // namespace chat::client
