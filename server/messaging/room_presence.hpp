#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "server/concurrency/event_bus.hpp"
#include "server/registry/room_registry.hpp"

namespace chat {

// Who is online in a room, as its members are told (`presence` events `join` and `disconnect`): on a server
// alone, whoever has a connection subscribed to it; on a node of a cluster, on any node. A user's connections
// on several nodes are one presence: `join` when the first of them anywhere joins, `disconnect` when the last
// of them anywhere goes. Each node tells its own connections.
//
// A node tells the others (the publisher, ClusterRelay) when a user's first connection here joins a room and
// when its last one goes, and every few seconds sends each room's whole set (a report lost on Redis is made
// good by the next one). What it hears goes to the room's RemotePresence; a node whose report of a room is
// older than cluster.node_timeout_ms is forgotten there, its users announced gone.
//
// Thread-safety: came_online() and went_offline() under the room's ordering key (the join command, a
// departure); received() and received_all() from any thread (applied on the pool under the room's key).
class RoomPresence {
 public:
  using Publisher = std::function<void(const Room& room, const std::string& user, bool online)>;

  RoomPresence(EventBus& bus, RoomRegistry& rooms);

  // Set once, before the server runs, on a node of a cluster.
  void set_publisher(Publisher publish) { publish_ = std::move(publish); }

  // The user's first connection here subscribed to the room; `joiner` is told by its reply, not an event.
  void came_online(Room& room, const std::string& user, std::uint64_t joiner);
  // The user's last connection here left the room (it closed or logged out).
  void went_offline(Room& room, const std::string& user);

  // Another node's report: one user came or went, or its whole set of the room's users.
  void received(std::string node, std::string room, std::string user, bool online);
  void received_all(std::string node, std::string room, std::vector<std::string> users);
  // Forgets, in every room, the nodes whose last report is older than `max_age`, announcing their users gone.
  void expire(std::chrono::milliseconds max_age);

 private:
  struct Report {
    std::string node;
    std::string room;
    std::vector<std::string> users;
    bool online = true;  // one user: came or went
    bool whole = false;  // `users` is the node's whole set
  };
  struct Expiry {
    std::string room;
    RemotePresence::Clock::time_point cutoff;
  };
  void apply(const Report& report);
  // Tells this node's connections of the room of users who came or went elsewhere and have no connection here.
  static void announce(const Room& room, const RemotePresence::Change& change);

  EventBus& bus_;
  RoomRegistry& rooms_;
  Publisher publish_;
  Subscription report_subscription_;
  Subscription expiry_subscription_;
};

}  // namespace chat
