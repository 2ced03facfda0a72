// create, join, leave, topic: a member's life in a room.
#include "common/utf8.hpp"
#include "server/dispatch/command_table.hpp"
#include "server/commands/room_access.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/server_context.hpp"
#include "server/storage/storage_error.hpp"

namespace chat {
namespace {

std::optional<std::string> checked_topic(const CommandContext& ctx) {
  auto topic = ctx.request.optional_string("topic");
  if (topic && utf8_length(*topic).value_or(0) > ctx.server.config.limits.max_topic_chars) {
    throw ProtocolError(ErrorCode::BadRequest, "topic longer than " +
                                                   std::to_string(ctx.server.config.limits.max_topic_chars) +
                                                   " characters");
  }
  return topic;
}

void create(const CommandContext& ctx) {
  const auto user = ctx.user();
  if (user.guest && !ctx.server.config.rooms.guests_can_create) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "guests cannot create rooms on this server: register an account to create one");
  }
  const auto name = ctx.room_name();
  // A guest owns its room only while it stays: its name is free for anyone once it is gone, so the room is
  // stored without an owner, as the default room is.
  const RoomSettings settings{ctx.request.optional_bool("private", false), checked_topic(ctx).value_or(""),
                              user.guest ? std::string{} : user.user};
  const auto& config = ctx.server.config.rooms;
  // A guest's rooms count against its address: a guest could shed a count kept by name by taking another.
  auto [room, refusal] = ctx.server.rooms.create_within(
      name, settings,
      RoomRegistry::Quota{config.max_rooms, config.max_per_owner,
                          user.guest ? "guests from " + ctx.session->address_key() : std::string{}});
  switch (refusal) {
    case RoomRegistry::Refusal::None:
      break;
    case RoomRegistry::Refusal::Exists:
      throw ProtocolError(ErrorCode::Conflict, "room '" + name + "' exists");
    case RoomRegistry::Refusal::Full:
      throw ProtocolError(ErrorCode::Forbidden, "this server holds its most rooms (" +
                                                    std::to_string(config.max_rooms) +
                                                    "): join one of them, or ask its operator to raise rooms.max_rooms");
    case RoomRegistry::Refusal::OwnerFull:
      if (user.guest) {
        throw ProtocolError(ErrorCode::Forbidden, "guests from your address made " +
                                                      std::to_string(config.max_per_owner) +
                                                      " rooms, the most they may: register an account to create more");
      }
      throw ProtocolError(ErrorCode::Forbidden, "you own " + std::to_string(config.max_per_owner) +
                                                    " rooms, the most an account may own on this server");
  }
  try {
    if (!ctx.server.store.create_room(
            RoomRecord{name, settings.is_private, settings.topic, settings.owner, CommandContext::now_ms(), 0})) {
      ctx.server.rooms.remove(name);
      throw ProtocolError(ErrorCode::Conflict, "room '" + name + "' exists");
    }
  } catch (const StorageError&) {
    ctx.server.rooms.remove(name);
    throw;
  }
  ctx.server.room_changes.made({.kind = RoomChange::Kind::created, .room = name, .settings = settings});
  // A guest owns the room here while it stays; the room is stored, and shared, without an owner.
  if (user.guest) room->add_member(user.user, RoomRole::Owner);
  join_connection(ctx, room, user, std::nullopt);
}

void join(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto room = ctx.room();
  const auto since = ctx.request.optional_int("since");
  if (since && *since < 0) throw ProtocolError(ErrorCode::BadRequest, "field 'since' must not be negative");
  if (room->is_banned(user.user)) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "you are banned from '" + room->name() + "': only its moderators can lift the ban");
  }
  if (!room->role_of(user.user)) {
    const auto settings = room->settings();
    // The room's owner stays its owner while away: rejoining, they moderate again.
    const bool owner = !user.guest && settings.owner == user.user;
    if (settings.is_private && !owner && !room->is_invited(user.user)) {
      throw ProtocolError(ErrorCode::Forbidden,
                          "room '" + room->name() + "' is invite-only: its owner or a moderator can invite you");
    }
    const auto role = owner ? RoomRole::Owner : RoomRole::Member;
    if (!user.guest) {
      ctx.server.store.upsert_member(room->name(), user.user, stored_role(role), CommandContext::now_ms());
    }
    ctx.server.room_changes.made(
        {.kind = RoomChange::Kind::joined, .room = room->name(), .user = user.user, .role = role}, !user.guest);
  }
  join_connection(ctx, room, user, since);
}

void leave(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto room = ctx.room();
  require_member(*room, user.user);
  if (!user.guest) ctx.server.store.remove_member(room->name(), user.user);
  ctx.server.room_changes.made({.kind = RoomChange::Kind::left, .room = room->name(), .user = user.user},
                               !user.guest);
  auto reply = ctx.ok();
  reply["room"] = room->name();
  ctx.reply(reply);
}

void topic(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto room = ctx.room();
  require_visible(*room, user.user);
  const auto new_topic = checked_topic(ctx);
  if (new_topic) {
    require_role(ctx, *room, RoomRole::Moderator, "set the topic");
    ctx.server.store.set_topic(room->name(), *new_topic);
    ctx.server.room_changes.made(
        {.kind = RoomChange::Kind::topic, .room = room->name(), .by = user.user, .text = *new_topic});
  }
  auto reply = ctx.ok();
  reply["room"] = room->name();
  reply["topic"] = room->settings().topic;
  ctx.reply(reply);
}

}  // namespace

void add_room_commands(CommandTable& table) {
  table.add({.op = "create", .priority = Priority::Normal, .key = OrderingKey::Room, .handler = create});
  table.add({.op = "join", .priority = Priority::Normal, .key = OrderingKey::Room, .handler = join});
  table.add({.op = "leave", .priority = Priority::Normal, .key = OrderingKey::Room, .handler = leave});
  table.add({.op = "topic", .priority = Priority::Normal, .key = OrderingKey::Room, .handler = topic});
}

}  // namespace chat
