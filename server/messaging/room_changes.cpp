#include "server/messaging/room_changes.hpp"

#include <array>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "server/messaging/event_frames.hpp"

namespace chat {

namespace {

constexpr std::array kKindNames{"created", "joined", "left", "topic", "role", "kicked", "banned", "unbanned", "invited"};
constexpr std::array kRoleNames{"member", "moderator", "owner"};
constexpr std::size_t kLongestName = 64;  // limits.max_name_length's ceiling

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<const char*, N>& names, const std::string& name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (name == names[i]) return i;
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json RoomChange::to_json() const {
  return {{"kind", kKindNames[static_cast<std::size_t>(kind)]},
          {"room", room},
          {"user", user},
          {"by", by},
          {"text", text},
          {"role", kRoleNames[static_cast<std::size_t>(role)]},
          {"private", settings.is_private},
          {"topic", settings.topic},
          {"owner", settings.owner}};
}

std::optional<RoomChange> RoomChange::from_json(const nlohmann::json& json) {
  try {
    RoomChange change;
    const auto kind = index_of(kKindNames, json.at("kind").get<std::string>());
    const auto role = index_of(kRoleNames, json.at("role").get<std::string>());
    if (!kind || !role) return std::nullopt;
    change.kind = static_cast<Kind>(*kind);
    change.role = static_cast<RoomRole>(*role);
    change.room = json.at("room").get<std::string>();
    change.user = json.at("user").get<std::string>();
    change.by = json.at("by").get<std::string>();
    change.text = json.at("text").get<std::string>();
    change.settings = {json.at("private").get<bool>(), json.at("topic").get<std::string>(),
                       json.at("owner").get<std::string>()};
    // A text is a topic or a reason: limits.max_topic_chars is at most 100,000 characters of 4 bytes.
    constexpr std::size_t kLongestText = 400'000;
    if (!canonical_room_name(change.room, kLongestName) || change.user.size() > kLongestName ||
        change.by.size() > kLongestName || change.settings.owner.size() > kLongestName ||
        change.text.size() > kLongestText || change.settings.topic.size() > kLongestText) {
      return std::nullopt;
    }
    return change;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

RoomChanges::RoomChanges(EventBus& bus, RoomRegistry& rooms, UserRegistry& users, Store& store)
    : rooms_(rooms), users_(users), bus_(bus), store_(store) {
  reconcile_subscription_ =
      bus_.subscribe<Reconcile>(
          [this](const Reconcile& request) {
            {
              // From here a change stored meanwhile is read, or comes with the next request.
              std::lock_guard lock(reconcile_mutex_);
              reconciling_.erase(canonical_name(request.room));
            }
            apply_stored(request.room);
          },
          Priority::Low);
  // Urgent, as moderation is: a ban must overtake the flood it is meant to stop.
  subscription_ =
      bus_.subscribe<RoomChange>([this](const RoomChange& change) { apply_received(change); }, Priority::Urgent);
}

void RoomChanges::made(const RoomChange& change, bool share) {
  apply(change);
  if (share && publish_) publish_(change);
}

void RoomChanges::received(RoomChange change) {
  const std::string key = canonical_name(change.room);
  // Refused (the pool is full or stopping): applied here, on the Redis thread, rather than lost.
  if (!bus_.publish(change, PublishOptions{key, Priority::Urgent, {}}).ok()) apply_received(change);
}

void RoomChanges::reconcile(const std::string& room) {
  auto key = canonical_name(room);
  {
    // One waiting per room: a sweep every interval while Redis is away must not pile them up behind a slow
    // database.
    std::lock_guard lock(reconcile_mutex_);
    if (!reconciling_.insert(key).second) return;
  }
  // Low: after a subscription every room is reconciled, four reads each, and chat must go on meanwhile. Dropped
  // when the pool refuses: the next reconciliation (a subscription, a notice, a sweep) comes back to it.
  if (!bus_.publish(Reconcile{room}, PublishOptions{key, Priority::Low, {}}).ok()) {
    std::lock_guard lock(reconcile_mutex_);
    reconciling_.erase(key);
  }
}

void RoomChanges::apply_stored(const std::string& name) {
  std::optional<RoomState> stored;
  try {
    stored = store_.load_room_state(name);
  } catch (const std::exception& e) {
    spdlog::warn("room={} cannot be read to reconcile it: {}", name, e.what());
    return;
  }
  if (!stored) return;
  auto room = rooms_.find(name);
  if (!room) {
    apply_received({.kind = RoomChange::Kind::created,
                    .room = stored->room.name,
                    .settings = {stored->room.is_private, stored->room.topic, stored->room.owner}});
    room = rooms_.find(name);
    if (!room) return;
    // What it held before is history, not news: this node's members (none yet) start after it.
    room->set_delivered_seq(stored->room.last_seq);
  }
  if (room->settings().topic != stored->room.topic) room->set_topic(stored->room.topic);

  const auto change = [&](RoomChange::Kind kind, const std::string& user) {
    return RoomChange{.kind = kind, .room = room->name(), .user = user};
  };
  // Bans first: a member banned meanwhile is expelled, not kept.
  std::set<std::string> banned;
  for (const auto& ban : stored->bans) {
    banned.insert(canonical_name(ban.user));
    if (room->is_banned(ban.user)) continue;
    auto made = change(RoomChange::Kind::banned, ban.user);
    made.by = ban.by;
    made.text = ban.reason;
    apply_received(made);
  }
  for (const auto& user : room->banned()) {
    if (!banned.contains(user)) apply_received(change(RoomChange::Kind::unbanned, user));
  }
  std::map<std::string, RoomRole> members;
  for (const auto& member : stored->members) {
    const auto role = static_cast<RoomRole>(member.role);
    members.emplace(canonical_name(member.user), role);
    const auto here = room->role_of(member.user);
    if (here == role) continue;
    auto made = change(here ? RoomChange::Kind::role : RoomChange::Kind::joined, member.user);
    made.role = role;
    apply_received(made);
  }
  for (const auto& [user, role] : room->members()) {
    // A guest's membership is not stored: it is this node's own.
    if (!members.contains(user) && !users_.is_guest(user).value_or(false)) {
      apply_received(change(RoomChange::Kind::left, user));
    }
  }
  std::set<std::string> invited;
  for (const auto& invite : stored->invites) {
    invited.insert(canonical_name(invite.user));
    if (room->is_invited(invite.user)) continue;
    auto made = change(RoomChange::Kind::invited, invite.user);
    made.by = invite.by;
    apply_received(made);
  }
  for (const auto& user : room->invited()) {
    if (!invited.contains(user)) room->revoke_invite(user);
  }
}

void RoomChanges::apply_received(const RoomChange& change) {
  const auto guest_here = [&](const std::string& name) { return users_.is_guest(name).value_or(false); };
  switch (change.kind) {
    case RoomChange::Kind::joined:
    case RoomChange::Kind::role:
    case RoomChange::Kind::invited:
    case RoomChange::Kind::left:
      if (guest_here(change.user)) return;
      break;
    case RoomChange::Kind::created:
      if (!change.settings.owner.empty() && guest_here(change.settings.owner)) {
        RoomChange ownerless = change;
        ownerless.settings.owner.clear();  // the room, without giving this node's guest its owner's role
        apply(ownerless);
        return;
      }
      break;
    default:
      break;
  }
  if (change.role == RoomRole::Owner &&
      (change.kind == RoomChange::Kind::joined || change.kind == RoomChange::Kind::role)) {
    const auto room = rooms_.find(change.room);
    if (!room || room->settings().owner != change.user) return;
  }
  apply(change);
}

void RoomChanges::apply(const RoomChange& change) {
  auto room = rooms_.find(change.room);
  if (change.kind == RoomChange::Kind::created) {
    if (!room) room = rooms_.create(change.room, change.settings);
    if (!room) room = rooms_.find(change.room);  // made here meanwhile
    if (room && !change.settings.owner.empty()) room->add_member(change.settings.owner, RoomRole::Owner);
    return;
  }
  // A room this node does not know had its creation missed (this node was away); it is loaded at the next start.
  if (!room) return;
  switch (change.kind) {
    case RoomChange::Kind::created:
      break;
    case RoomChange::Kind::joined:
      if (!room->add_member(change.user, change.role)) room->set_role(change.user, change.role);
      break;
    case RoomChange::Kind::left:
      room->remove_member(change.user);
      room->unsubscribe_user(change.user);
      room->elsewhere().forget(change.user);  // out of the room on every node: no later `disconnect` for it
      room->broadcast(presence_event(room->name(), change.user, "leave"));
      break;
    case RoomChange::Kind::topic:
      room->set_topic(change.text);
      room->broadcast(topic_event(room->name(), change.text, change.by));
      break;
    case RoomChange::Kind::role:
      room->set_role(change.user, change.role);
      break;
    case RoomChange::Kind::kicked:
      expel(*room, change, "kicked", "kick");
      break;
    case RoomChange::Kind::banned: {
      const bool member = room->role_of(change.user).has_value();  // as this node knows: it tells its own
      room->ban(change.user);
      if (member) {
        expel(*room, change, "banned", "ban");
      } else {
        room->unsubscribe_user(change.user);
        room->elsewhere().forget(change.user);
      }
      break;
    }
    case RoomChange::Kind::unbanned:
      room->unban(change.user);
      break;
    case RoomChange::Kind::invited: {
      room->invite(change.user);
      const auto event = invited_event(room->name(), change.by);
      for (const auto& session : users_.sessions_of(change.user)) session->deliver(event);
      break;
    }
  }
}

void RoomChanges::expel(Room& room, const RoomChange& change, std::string_view event_type,
                        std::string_view presence) {
  room.remove_member(change.user);
  room.revoke_invite(change.user);
  room.unsubscribe_user(change.user);
  room.elsewhere().forget(change.user);
  const auto event = removal_event(event_type, room.name(), change.by, change.text);
  for (const auto& session : users_.sessions_of(change.user)) session->deliver(event);
  room.broadcast(presence_event(room.name(), change.user, presence));
}

}  // namespace chat
