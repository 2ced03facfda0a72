#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "server/concurrency/event_bus.hpp"
#include "server/registry/room_registry.hpp"
#include "server/registry/user_registry.hpp"
#include "server/storage/store.hpp"

namespace chat {

// A change of a room's state that a command made and stored: a room created, an account's membership begun or
// ended, a topic, a role, a kick, a ban or its lifting, an invitation. Everything another node needs to apply
// it as the node that made it did.
struct RoomChange {
  enum class Kind { created, joined, left, topic, role, kicked, banned, unbanned, invited };
  Kind kind = Kind::topic;
  std::string room{};
  std::string user{};  // whose membership, role, ban or invitation
  std::string by{};    // who made it (topic, kick, ban)
  std::string text{};  // the topic, or a kick's or ban's reason
  RoomRole role = RoomRole::Member;  // joined, role
  RoomSettings settings{};  // created

  nlohmann::json to_json() const;
  // nullopt when `json` is no change: a wrong type, an unknown kind or role, a room name that is none, a text
  // longer than any topic or reason may be (bytes from Redis are checked like any peer's).
  static std::optional<RoomChange> from_json(const nlohmann::json& json);
};

// Applies room changes to this node's registries and tells this node's connections of them, the same way for a
// change a command made here (made) and one another node made (received). On a node of a cluster, made() also
// shares the change with the others (the publisher, ClusterRelay), so that a ban, a kick or a new room takes
// effect on every node, not only where it was made.
//
// A change received gives no rights to a guest here: another node's change names an account, and a guest here
// of that name is someone else (guest names are the cluster's, ClusterNode; but a guest whose node was taken for
// dead may have lost its name to an account meanwhile); so an invitation, a membership or a role for a name a
// guest holds here is not applied, nor is an owner's role for anyone but the room's owner.
// Bans and kicks are by name and applied whoever holds it.
//
// Thread-safety: made() runs in the command's handler, under the room's ordering key; received() from any
// thread (it applies on the pool under the room's key — the key commands use — in the order received).
class RoomChanges {
 public:
  RoomChanges(EventBus& bus, RoomRegistry& rooms, UserRegistry& users, Store& store);

  // Set once, before the server runs, on a node of a cluster.
  void set_publisher(std::function<void(const RoomChange&)> publish) { publish_ = std::move(publish); }

  // A change stored by a command here: applied, then shared unless `share` is false (a guest's membership or
  // role, which is not stored and belongs to this node's guest of that name only).
  void made(const RoomChange& change, bool share = true);
  void received(RoomChange change);
  // Brings this node's state of the room (made here if it does not know it) to what the database holds, on the
  // pool under the room's key, telling the connections concerned as the changes themselves would have: for the
  // changes Redis lost (a restart, a node's failed publications). Accounts only: a guest's membership here is
  // kept. Safe from any thread.
  void reconcile(const std::string& room);

 private:
  void apply(const RoomChange& change);
  // A change another node made: checked against this node's guests, then applied.
  void apply_received(const RoomChange& change);
  // Ends `user`'s membership and live subscriptions, telling them (`event_type`) and the room (`presence`).
  void expel(Room& room, const RoomChange& change, std::string_view event_type, std::string_view presence);
  struct Reconcile {
    std::string room;
  };
  void apply_stored(const std::string& room);

  RoomRegistry& rooms_;
  UserRegistry& users_;
  EventBus& bus_;
  Store& store_;
  std::function<void(const RoomChange&)> publish_;
  std::mutex reconcile_mutex_;
  std::unordered_set<std::string> reconciling_;  // rooms (canonical) with a reconciliation waiting
  Subscription subscription_;
  Subscription reconcile_subscription_;
};

}  // namespace chat
