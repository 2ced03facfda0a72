#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "client/command_parser.hpp"

namespace chat::client {

enum class AuthMode { Guest, Login, Register };

// How to log in; kept for the logins of later reconnects.
struct Credentials {
  AuthMode mode = AuthMode::Guest;
  std::string name;
  std::string password;  // empty for guests
};

inline constexpr std::int64_t kDefaultHistoryCount = 20;

// The protocol request a command stands for. `current_room` fills in an
// omitted room; `since` is the last seq seen of the room (for /join).
// Commands that do not talk to the server (/help, /switch, ...) and the
// login commands (they need a password first) are not built here.
std::variant<nlohmann::json, UsageError> build_request(const Command& command, std::string_view current_room,
                                                      std::optional<std::int64_t> since = std::nullopt);

nlohmann::json auth_request(const Credentials& credentials);
nlohmann::json join_request(std::string_view room, std::optional<std::int64_t> since);
// What a message is: plain text, or an action (/me waves, "* alice waves").
enum class MessageKind { Text, Action };

nlohmann::json send_request(std::string_view room, std::string_view text, MessageKind kind = MessageKind::Text);
nlohmann::json dm_request(std::string_view to, std::string_view text, MessageKind kind = MessageKind::Text);
// The largest history page forward from `after` up to `before` (both exclusive).
nlohmann::json history_page_request(std::string_view room, std::int64_t after, std::int64_t before);

// The credentials a successful auth request stands for, to log in again after
// a reconnect: an account that was just registered is logged in to next time.
Credentials credentials_from(const nlohmann::json& auth_request);

}  // namespace chat::client
