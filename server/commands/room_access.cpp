#include "server/commands/room_access.hpp"

#include "server/messaging/event_frames.hpp"
#include "server/messaging/frame_budget.hpp"
#include "server/server_context.hpp"

namespace chat {

std::string_view role_name(RoomRole role) {
  switch (role) {
    case RoomRole::Owner: return "owner";
    case RoomRole::Moderator: return "moderator";
    case RoomRole::Member: return "member";
  }
  return "member";
}

int stored_role(RoomRole role) { return static_cast<int>(role); }

// Every refusal says what would allow the action. It names nobody: who owns a private room is for its members
// to know.
RoomRole require_role(const CommandContext& ctx, const Room& room, RoomRole minimum, std::string_view action) {
  const auto user = ctx.user().user;
  const auto role = room.role_of(user);
  if (role && *role >= minimum) return *role;
  // A server administrator stands in for the owner: rooms without one (the default room, a departed guest's)
  // would otherwise have nobody to moderate them, ever.
  if (ctx.is_admin()) return RoomRole::Owner;
  require_visible(room, user);
  const bool ownerless = room.settings().owner.empty();
  std::string message;
  if (minimum == RoomRole::Owner) {
    message = "only the owner of '" + room.name() + "' or a server administrator may " + std::string(action);
  } else {
    message = "only the moderators of '" + room.name() + "' may " + std::string(action) +
              (ownerless ? ": a server administrator can make you one" : ": its owner can make you one");
  }
  throw ProtocolError(ErrorCode::Forbidden, message);
}

void require_member(const Room& room, const std::string& user) {
  if (!room.role_of(user)) {
    throw ProtocolError(ErrorCode::Forbidden, "not a member of '" + room.name() + "': join it first");
  }
}

void require_visible(const Room& room, const std::string& user) {
  if (room.settings().is_private && !room.role_of(user)) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "room '" + room.name() + "' is private: its owner or a moderator can invite you");
  }
}

std::optional<RoomRole> require_outranks(const Room& room, RoomRole actor_role, const std::string& actor,
                                         const std::string& target) {
  const auto target_role = room.role_of(target);
  // Also while away (the owner may leave and come back): otherwise a moderator could ban them out for good.
  if (target_role == RoomRole::Owner || target == room.settings().owner) {
    throw ProtocolError(ErrorCode::Forbidden, "the owner of '" + room.name() + "' cannot be removed, by anyone");
  }
  if (target_role == RoomRole::Moderator && actor_role != RoomRole::Owner) {
    throw ProtocolError(ErrorCode::Forbidden,
                        "only the owner may remove a moderator: the owner can take the moderator role back first");
  }
  if (actor == target) throw ProtocolError(ErrorCode::BadRequest, "use leave to leave a room");
  return target_role;
}

nlohmann::json room_json(const Room& room) {
  const auto settings = room.settings();
  return {{"room", room.name()},
          {"private", settings.is_private},
          {"topic", settings.topic},
          {"owner", settings.owner},
          {"last_seq", room.delivered_seq()}};
}

void join_connection(const CommandContext& ctx, const RoomPtr& room, const Identity& user,
                     std::optional<std::int64_t> since) {
  const auto& limits = ctx.server.config.limits;
  const bool joined = ctx.server.messages.while_quiet(room, [&] {
    const bool was_online = room->is_subscribed_user(user.user);
    if (!ctx.session->track_room(room->name())) return false;  // the connection closed meanwhile
    room->subscribe(user.user, ctx.session);

    const auto up_to = room->delivered_seq();
    // The newest messages the replay budget holds, so that they meet the live ones without a gap; whatever
    // older ones it leaves out are (since, first) for history.
    std::vector<Frame> replay;
    std::int64_t first = up_to + 1;
    if (since && *since < up_to && limits.replay_max > 0) {
      const auto messages = ctx.server.store.replay(room->name(), *since, up_to, limits.replay_max);
      FrameBudget budget(ctx.session->reply_budget());
      for (auto message = messages.rbegin(); message != messages.rend(); ++message) {
        auto frame = msg_event(*message, /*replay=*/true);
        if (!budget.take(frame_cost(*frame))) break;
        replay.push_back(std::move(frame));
        first = message->seq;
      }
      for (auto frame = replay.rbegin(); frame != replay.rend(); ++frame) ctx.session->deliver(*frame);
    }
    const bool truncated = since && first > *since + 1;
    auto reply = ctx.ok();
    reply.update(room_json(*room));
    reply["last_seq"] = up_to;
    reply["replayed"] = replay.size();
    reply["truncated"] = truncated;
    if (truncated) reply["history_before"] = first;
    ctx.reply(reply);
    // The other members learn of the join (unless the user is online in the room on another node); the
    // joiner has its reply.
    if (!was_online) ctx.server.presence.came_online(*room, user.user, ctx.session->connection_id());
    return true;
  });
  if (!joined && user.guest) room->remove_member(user.user);
}

}  // namespace chat
