#include "client/request_builder.hpp"

#include "common/frames.hpp"
#include "common/protocol.hpp"

namespace chat::client {
namespace {

std::string_view auth_op(AuthMode mode) {
  switch (mode) {
    case AuthMode::Guest: return "guest";
    case AuthMode::Login: return "login";
    case AuthMode::Register: return "register";
  }
  return "guest";
}

nlohmann::json with_room(std::string_view op, std::string_view room) {
  auto request = make_request(op);
  request["room"] = room;
  return request;
}

nlohmann::json room_user(std::string_view op, std::string_view room, const Command& command) {
  auto request = with_room(op, room);
  request["user"] = *command.user;
  return request;
}

}  // namespace

nlohmann::json auth_request(const Credentials& credentials) {
  auto request = make_request(auth_op(credentials.mode));
  request["name"] = credentials.name;
  if (credentials.mode != AuthMode::Guest) request["password"] = credentials.password;
  return request;
}

Credentials credentials_from(const nlohmann::json& auth_request) {
  const auto op = auth_request.value("op", "");
  Credentials credentials;
  credentials.mode = op == "guest" ? AuthMode::Guest : AuthMode::Login;
  credentials.name = auth_request.value("name", "");
  credentials.password = auth_request.value("password", "");
  return credentials;
}

nlohmann::json join_request(std::string_view room, std::optional<std::int64_t> since) {
  auto request = with_room("join", room);
  if (since) request["since"] = *since;
  return request;
}

namespace {

// "kind" is left out for plain text, as the protocol's default: a request
// stays exactly what servers without actions understand.
void set_kind(nlohmann::json& request, MessageKind kind) {
  if (kind == MessageKind::Action) request["kind"] = "action";
}

}  // namespace

nlohmann::json send_request(std::string_view room, std::string_view text, MessageKind kind) {
  auto request = with_room("send", room);
  request["text"] = text;
  set_kind(request, kind);
  return request;
}

nlohmann::json dm_request(std::string_view to, std::string_view text, MessageKind kind) {
  auto request = make_request("dm");
  request["to"] = to;
  request["text"] = text;
  set_kind(request, kind);
  return request;
}

nlohmann::json history_page_request(std::string_view room, std::int64_t after, std::int64_t before) {
  auto request = with_room("history", room);
  request["after"] = after;
  request["before"] = before;
  request["limit"] = protocol::kMaxHistoryLimit;
  return request;
}

std::variant<nlohmann::json, UsageError> build_request(const Command& command, std::string_view current_room,
                                                      std::optional<std::int64_t> since) {
  const std::string_view room = command.room ? std::string_view(*command.room) : current_room;
  const bool needs_room = command.id() != CommandId::Rooms && command.id() != CommandId::Msg &&
                          command.id() != CommandId::Query && command.id() != CommandId::Whois;
  if (needs_room && room.empty()) {
    return UsageError{"no current room: name one (" + usage(*command.spec) + ") or /join a room first"};
  }
  switch (command.id()) {
    case CommandId::Join: return join_request(room, since);
    case CommandId::Leave: return with_room("leave", room);
    case CommandId::Rooms: return make_request("rooms");
    case CommandId::Who: return with_room("members", room);
    case CommandId::Create: {
      auto request = with_room("create", room);
      request["private"] = command.private_room;
      if (command.text) request["topic"] = *command.text;
      return request;
    }
    case CommandId::Topic: {
      auto request = with_room("topic", room);
      if (command.text) request["topic"] = *command.text;
      return request;
    }
    case CommandId::Invite: return room_user("invite", room, command);
    case CommandId::Kick:
    case CommandId::Ban: {
      auto request = room_user(command.id() == CommandId::Kick ? "kick" : "ban", room, command);
      if (command.text) request["reason"] = *command.text;
      return request;
    }
    case CommandId::Unban: return room_user("unban", room, command);
    case CommandId::Mod:
    case CommandId::Unmod: {
      auto request = room_user("moderator", room, command);
      request["grant"] = command.id() == CommandId::Mod;
      return request;
    }
    case CommandId::Msg:
    case CommandId::Query: {
      if (!command.text) return UsageError{"/query " + *command.user + " text sends " + *command.user + " a message"};
      return dm_request(*command.user, *command.text);
    }
    case CommandId::Me: return send_request(room, *command.text, MessageKind::Action);
    case CommandId::Whois: {
      auto request = make_request("whois");
      request["user"] = *command.user;
      return request;
    }
    case CommandId::History: {
      auto request = with_room("history", room);
      request["limit"] = std::min<std::int64_t>(command.number.value_or(kDefaultHistoryCount),
                                                  static_cast<std::int64_t>(protocol::kMaxHistoryLimit));
      return request;
    }
    default: return UsageError{"/" + std::string(command.spec->name) + " does not go to the server"};
  }
}

}  // namespace chat::client
