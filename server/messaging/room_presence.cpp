#include "server/messaging/room_presence.hpp"

#include "common/names.hpp"
#include "server/messaging/event_frames.hpp"

namespace chat {

RoomPresence::RoomPresence(EventBus& bus, RoomRegistry& rooms) : bus_(bus), rooms_(rooms) {
  report_subscription_ = bus_.subscribe<Report>([this](const Report& report) { apply(report); }, Priority::Normal);
  expiry_subscription_ = bus_.subscribe<Expiry>(
      [this](const Expiry& expiry) {
        if (const auto room = rooms_.find(expiry.room)) announce(*room, room->elsewhere().expire(expiry.cutoff));
      },
      Priority::Normal);
}

void RoomPresence::came_online(Room& room, const std::string& user, std::uint64_t joiner) {
  if (publish_) publish_(room, user, true);
  if (room.elsewhere().online(user)) return;  // the room knows already
  const auto event = presence_event(room.name(), user, "join");
  for (const auto& subscriber : *room.subscribers()) {
    if (subscriber.connection_id != joiner) subscriber.participant->deliver(event);
  }
}

void RoomPresence::went_offline(Room& room, const std::string& user) {
  if (publish_) publish_(room, user, false);
  if (room.elsewhere().online(user)) return;  // still there, on another node
  room.broadcast(presence_event(room.name(), user, "disconnect"));
}

void RoomPresence::received(std::string node, std::string room, std::string user, bool online) {
  Report report{std::move(node), std::move(room), {std::move(user)}, online, false};
  const auto key = canonical_name(report.room);
  // Refused (overloaded or stopping): the node's next whole report brings it.
  (void)bus_.publish(std::move(report), PublishOptions{key, Priority::Normal, {}});
}

void RoomPresence::received_all(std::string node, std::string room, std::vector<std::string> users) {
  Report report{std::move(node), std::move(room), std::move(users), true, true};
  const auto key = canonical_name(report.room);
  (void)bus_.publish(std::move(report), PublishOptions{key, Priority::Normal, {}});
}

void RoomPresence::expire(std::chrono::milliseconds max_age) {
  const auto cutoff = RemotePresence::Clock::now() - max_age;
  for (const auto& room : rooms_.list()) {
    if (room->elsewhere().empty()) continue;
    (void)bus_.publish(Expiry{room->name(), cutoff}, PublishOptions{canonical_name(room->name()), Priority::Normal, {}});
  }
}

void RoomPresence::apply(const Report& report) {
  const auto room = rooms_.find(report.room);
  if (!room) return;  // its creation not known here yet: the next whole report comes after it
  const auto now = RemotePresence::Clock::now();
  auto& elsewhere = room->elsewhere();
  // A report made before a ban reached its node may come after the ban here (Redis orders each node's
  // messages, not two nodes'): a banned user is online in the room nowhere.
  std::vector<std::string> users;
  for (const auto& user : report.users) {
    if (!room->is_banned(user)) users.push_back(user);
  }
  if (report.whole) {
    announce(*room, elsewhere.replace(report.node, std::move(users), now));
  } else if (!users.empty() || !report.online) {
    announce(*room, elsewhere.report(report.node, report.users.front(), report.online, now));
  }
}

void RoomPresence::announce(const Room& room, const RemotePresence::Change& change) {
  for (const auto& user : change.came) {
    if (!room.is_subscribed_user(user)) room.broadcast(presence_event(room.name(), user, "join"));
  }
  for (const auto& user : change.went) {
    if (!room.is_subscribed_user(user)) room.broadcast(presence_event(room.name(), user, "disconnect"));
  }
}

}  // namespace chat
