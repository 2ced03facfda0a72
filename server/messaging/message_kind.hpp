#pragma once
// A message's kind as the protocol names it: the optional "kind" of send and dm, and of the events and history
// entries that show a message (docs/protocol.md).

#include <optional>
#include <string_view>

#include "server/storage/records.hpp"

namespace chat {

constexpr std::string_view kind_name(MessageKind kind) noexcept {
  return kind == MessageKind::action ? "action" : "text";
}

// nullopt when the protocol has no kind of that name.
constexpr std::optional<MessageKind> kind_named(std::string_view name) noexcept {
  if (name == "text") return MessageKind::text;
  if (name == "action") return MessageKind::action;
  return std::nullopt;
}

// Only an action says what it is: a text message's lines are the same bytes as before kinds existed.
constexpr bool shows_kind(MessageKind kind) noexcept { return kind != MessageKind::text; }

}  // namespace chat
