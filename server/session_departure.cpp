#include "server/session_departure.hpp"

#include "server/messaging/event_frames.hpp"

namespace chat {

SessionDeparture::SessionDeparture(EventBus& bus, RoomRegistry& rooms, UserRegistry& users,
                                   DirectMessageInbox& inbox, RoomPresence& presence, ClusterNode* cluster)
    : bus_(bus), rooms_(rooms), users_(users), inbox_(inbox), presence_(presence), cluster_(cluster) {
  subscription_ = bus_.subscribe<RoomExit>([this](const RoomExit& exit) { leave_room(exit); }, Priority::Normal);
}

void SessionDeparture::depart(const SessionPtr& session, bool final) {
  auto [identity, rooms] = session->take_state(final);
  if (!identity) return;
  users_.remove(identity->user, session->connection_id());
  // A guest has this one session: it is gone for good, and what waits for it with it.
  if (identity->guest) {
    inbox_.forget_guest(*identity);
    if (cluster_) cluster_->release_guest(identity->user, identity->id);
  }
  for (const auto& room : rooms) {
    RoomExit exit{session, identity->user, identity->guest, room};
    if (!bus_.publish(exit, PublishOptions{room, Priority::Normal, {}}).ok()) {
      leave_room(exit);  // refused (overloaded or stopping): never leave a dead connection subscribed
    }
  }
}

void SessionDeparture::leave_room(const RoomExit& exit) {
  const auto room = rooms_.find(exit.room);
  if (!room || !room->unsubscribe(exit.session->connection_id())) return;
  if (room->is_subscribed_user(exit.user)) return;  // another connection of the user is still in the room
  if (exit.guest) room->remove_member(exit.user);
  presence_.went_offline(*room, exit.user);
}

}  // namespace chat
