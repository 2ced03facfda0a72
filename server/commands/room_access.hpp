#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/dispatch/command.hpp"
#include "server/registry/room.hpp"
#include "server/registry/room_role.hpp"

namespace chat {

// Rules and views shared by the room and moderation commands.
std::string_view role_name(RoomRole role);
int stored_role(RoomRole role);

// Throws forbidden unless the caller holds at least `minimum` in the room, or is a server administrator, who
// acts as its owner. Returns the role the caller acts with.
RoomRole require_role(const CommandContext& ctx, const Room& room, RoomRole minimum, std::string_view action);
// Throws forbidden unless `user` is a member of the room.
void require_member(const Room& room, const std::string& user);
// Throws forbidden when the room is private and `user` is not a member.
void require_visible(const Room& room, const std::string& user);
// Throws forbidden unless `actor`, acting with `actor_role` (require_role's answer), outranks `target` (the
// owner cannot be removed, also while not a member; only the owner removes a moderator). Returns the target's
// role.
std::optional<RoomRole> require_outranks(const Room& room, RoomRole actor_role, const std::string& actor,
                                         const std::string& target);

// {"room","private","topic","owner","last_seq"} of a room.
nlohmann::json room_json(const Room& room);

// Subscribes the connection to the room and replays what it missed since
// `since` (if given), while the room's broadcasts are held, then answers.
// When the connection closed meanwhile nothing is done, and a guest's role
// in the room is taken back: the connection's departure did not see this
// room, and whoever takes the name next must not inherit the role.
void join_connection(const CommandContext& ctx, const RoomPtr& room, const Identity& user,
                     std::optional<std::int64_t> since);

}  // namespace chat
