#include "server/dispatch/command.hpp"

#include <chrono>

#include "common/names.hpp"
#include "server/server_context.hpp"

namespace chat {

nlohmann::json CommandContext::ok() const { return ok_reply(request.op(), request.id()); }

void CommandContext::reply(const nlohmann::json& message) const { session->send(message); }

Identity CommandContext::user() const {
  auto identity = session->identity();
  if (!identity) throw ProtocolError(ErrorCode::Unauthorized, "log in first");
  return std::move(*identity);
}

bool CommandContext::is_admin() const {
  const auto identity = user();
  if (identity.guest) return false;
  const auto account = server.store.find_user(identity.user);
  return account && account->id == identity.id && account->is_admin;
}

std::string CommandContext::room_name(std::string_view field) const {
  const auto raw = request.required_string(field);
  auto name = canonical_room_name(raw, server.config.limits.max_name_length);
  if (!name) throw ProtocolError(ErrorCode::BadRequest, "invalid room name in '" + std::string(field) + "'");
  return std::move(*name);
}

std::string CommandContext::user_name(std::string_view field) const {
  const auto raw = request.required_string(field);
  auto name = canonical_user_name(raw, server.config.limits.max_name_length);
  if (!name) throw ProtocolError(ErrorCode::BadRequest, "invalid user name in '" + std::string(field) + "'");
  return std::move(*name);
}

RoomPtr CommandContext::room() const {
  const auto name = room_name();
  auto found = server.rooms.find(name);
  if (!found) throw ProtocolError(ErrorCode::NotFound, "no room '" + name + "'");
  return found;
}

void CommandContext::check_name_probe() const {
  const auto wait = server.name_probes.retry_after(session->address_key());
  if (wait > std::chrono::milliseconds::zero()) {
    throw ProtocolError(ErrorCode::RateLimited, "too many requests for names that are taken or unknown; retry later",
                        wait);
  }
}

void CommandContext::charge_name_probe() const { server.name_probes.charge(session->address_key()); }

std::int64_t CommandContext::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace chat
