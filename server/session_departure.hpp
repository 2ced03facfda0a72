#pragma once

#include <string>

#include "server/cluster/cluster_node.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/messaging/direct_message_inbox.hpp"
#include "server/messaging/room_presence.hpp"
#include "server/registry/room_registry.hpp"
#include "server/registry/user_registry.hpp"
#include "server/net/session.hpp"

namespace chat {

// Takes a connection out of the server's state when it logs out or closes:
// out of the online users at once, out of each joined room under that
// room's ordering key (so that a join in flight cannot re-add it), with a
// `disconnect` presence event where the user has no other connection in the
// room (RoomPresence). A guest's memberships end with it, and so do the direct messages
// still waiting for it and, on a node of a cluster, its claim to the name
// (ClusterNode). Thread-safe.
class SessionDeparture {
 public:
  // `cluster`: null on a server alone.
  SessionDeparture(EventBus& bus, RoomRegistry& rooms, UserRegistry& users, DirectMessageInbox& inbox,
                   RoomPresence& presence, ClusterNode* cluster = nullptr);

  // final: the connection has closed and can never log in again.
  void depart(const SessionPtr& session, bool final);

 private:
  struct RoomExit {
    SessionPtr session;
    std::string user;
    bool guest = false;
    std::string room;
  };
  void leave_room(const RoomExit& exit);

  EventBus& bus_;
  RoomRegistry& rooms_;
  UserRegistry& users_;
  DirectMessageInbox& inbox_;
  RoomPresence& presence_;
  ClusterNode* cluster_;
  Subscription subscription_;
};

}  // namespace chat
