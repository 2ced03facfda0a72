// invite, kick, ban, unban, moderator: what a room's owner and moderators may do.
#include "server/dispatch/command_table.hpp"
#include "server/commands/room_access.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/server_context.hpp"

namespace chat {
namespace {

std::string reason_of(const CommandContext& ctx) {
  auto reason = ctx.request.optional_string("reason").value_or("");
  if (reason.size() > 300) throw ProtocolError(ErrorCode::BadRequest, "reason longer than 300 bytes");
  return reason;
}

nlohmann::json target_reply(const CommandContext& ctx, const Room& room, const std::string& target) {
  auto reply = ctx.ok();
  reply["room"] = room.name();
  reply["user"] = target;
  return reply;
}

// Ends `target`'s stored membership and invitation; RoomChanges does the rest, on every node.
void forget_member(const CommandContext& ctx, const Room& room, const std::string& target) {
  ctx.server.store.remove_member(room.name(), target);
  ctx.server.store.remove_invite(room.name(), target);
}

// A guest's name is this node's guest's only: what is done to it is not shared with the other nodes, whose
// guest of that name (if any) is someone else. Bans are by name, stored, and shared whoever holds it.
bool is_account(const CommandContext& ctx, const std::string& user) {
  return !ctx.server.users.is_guest(user).value_or(false);
}

void invite(const CommandContext& ctx) {
  const auto actor = ctx.user();
  const auto room = ctx.room();
  const auto target = ctx.user_name();
  require_role(ctx, *room, RoomRole::Moderator, "invite");
  ctx.check_name_probe();
  if (!ctx.server.store.find_user(target)) {
    ctx.charge_name_probe();
    throw ProtocolError(ErrorCode::NotFound, "no user '" + target + "'");
  }
  ctx.server.store.add_invite(InviteRecord{room->name(), target, actor.user, CommandContext::now_ms()});
  ctx.server.room_changes.made({.kind = RoomChange::Kind::invited, .room = room->name(), .user = target, .by = actor.user});
  ctx.reply(target_reply(ctx, *room, target));
}

void kick(const CommandContext& ctx) {
  const auto actor = ctx.user();
  const auto room = ctx.room();
  const auto target = ctx.user_name();
  const auto role = require_role(ctx, *room, RoomRole::Moderator, "kick");
  if (!require_outranks(*room, role, actor.user, target)) {
    throw ProtocolError(ErrorCode::NotFound, "'" + target + "' is not a member of '" + room->name() + "'");
  }
  const auto reason = reason_of(ctx);
  forget_member(ctx, *room, target);
  ctx.server.room_changes.made(
      {.kind = RoomChange::Kind::kicked, .room = room->name(), .user = target, .by = actor.user, .text = reason},
      is_account(ctx, target));
  ctx.reply(target_reply(ctx, *room, target));
}

void ban(const CommandContext& ctx) {
  const auto actor = ctx.user();
  const auto room = ctx.room();
  const auto target = ctx.user_name();
  const auto role = require_role(ctx, *room, RoomRole::Moderator, "ban");
  const bool member = require_outranks(*room, role, actor.user, target).has_value();
  const auto reason = reason_of(ctx);
  ctx.server.store.add_ban(BanRecord{room->name(), target, actor.user, reason, CommandContext::now_ms()});
  if (member) forget_member(ctx, *room, target);
  ctx.server.room_changes.made(
      {.kind = RoomChange::Kind::banned, .room = room->name(), .user = target, .by = actor.user, .text = reason});
  ctx.reply(target_reply(ctx, *room, target));
}

void unban(const CommandContext& ctx) {
  const auto actor = ctx.user();
  const auto room = ctx.room();
  const auto target = ctx.user_name();
  require_role(ctx, *room, RoomRole::Moderator, "unban");
  if (!room->is_banned(target)) throw ProtocolError(ErrorCode::NotFound, "'" + target + "' is not banned");
  ctx.server.store.remove_ban(room->name(), target);
  ctx.server.room_changes.made({.kind = RoomChange::Kind::unbanned, .room = room->name(), .user = target, .by = actor.user});
  ctx.reply(target_reply(ctx, *room, target));
}

void moderator(const CommandContext& ctx) {
  const auto actor = ctx.user();
  const auto room = ctx.room();
  const auto target = ctx.user_name();
  require_role(ctx, *room, RoomRole::Owner, "appoint moderators");
  const auto current = room->role_of(target);
  if (!current) throw ProtocolError(ErrorCode::NotFound, "'" + target + "' is not a member of '" + room->name() + "'");
  if (*current == RoomRole::Owner) {
    throw ProtocolError(ErrorCode::Forbidden, "the owner's role cannot change: a room keeps the owner that created it");
  }
  const auto role = ctx.request.optional_bool("grant", true) ? RoomRole::Moderator : RoomRole::Member;
  const bool account = is_account(ctx, target);
  if (account) ctx.server.store.upsert_member(room->name(), target, stored_role(role), CommandContext::now_ms());
  ctx.server.room_changes.made(
      {.kind = RoomChange::Kind::role, .room = room->name(), .user = target, .by = actor.user, .role = role}, account);
  auto reply = target_reply(ctx, *room, target);
  reply["role"] = role_name(role);
  ctx.reply(reply);
}

}  // namespace

void add_moderation_commands(CommandTable& table) {
  // Moderation is URGENT: it must overtake a flood it is meant to stop.
  table.add({.op = "invite", .priority = Priority::Urgent, .key = OrderingKey::Room, .handler = invite});
  table.add({.op = "kick", .priority = Priority::Urgent, .key = OrderingKey::Room, .handler = kick});
  table.add({.op = "ban", .priority = Priority::Urgent, .key = OrderingKey::Room, .handler = ban});
  table.add({.op = "unban", .priority = Priority::Urgent, .key = OrderingKey::Room, .handler = unban});
  table.add({.op = "moderator", .priority = Priority::Urgent, .key = OrderingKey::Room, .handler = moderator});
}

}  // namespace chat
