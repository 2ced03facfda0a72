#pragma once

#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/registry/room.hpp"
#include "server/registry/room_settings.hpp"

namespace chat {

// All rooms, by canonical_name() of their name (ASCII case-insensitive).
//
// Thread-safety: every method may be called from any thread; lookups share a
// std::shared_mutex, create/remove hold it exclusively. The registry lock is
// never held while calling into a Room (so there is no lock order to get
// wrong) nor while the last reference to a Room is dropped.
//
// Removing a room only unlists it: holders of its RoomPtr keep a working
// room, and telling its subscribers is the caller's job.
//
// rooms_of() and subscribed_rooms() scan every room rather than keep a
// reverse index: they serve joins listings and disconnects, which are rare
// next to messages, and an index would have to be kept in step with
// Room::subscribe(), which callers use directly on a RoomPtr.
class RoomRegistry {
 public:
  // Bounds on what create_within() may add. 0 = no bound.
  struct Quota {
    std::size_t max_rooms = 0;      // rooms in all
    std::size_t max_per_owner = 0;  // rooms counted against one owner
    // Whom the room counts against when not its settings' owner: a room made by a guest is stored ownerless
    // yet must count against something the guest cannot shed by taking another name (its address).
    std::string counted_as;
  };
  enum class Refusal { None, Exists, Full, OwnerFull };
  struct Created {
    RoomPtr room;  // null when refused
    Refusal refusal = Refusal::None;
  };

  // nullptr if a room with that canonical name exists. No quota: for rooms
  // that exist already (loaded at start) and the configured default room.
  RoomPtr create(std::string name, RoomSettings settings);
  // Like create(), within `quota`, checked and taken under the same lock as
  // the insertion, so concurrent creations cannot overshoot it.
  Created create_within(std::string name, RoomSettings settings, Quota quota);
  // Rooms whose owner is `user`. O(1).
  std::size_t owned_by(std::string_view user) const;
  // nullptr if there is none. O(1).
  RoomPtr find(std::string_view name) const;
  // False if there was no such room.
  bool remove(std::string_view name);
  // Snapshot, sorted by name.
  std::vector<RoomPtr> list() const;
  // Rooms where `user` is a persistent member, sorted by name. O(rooms).
  std::vector<RoomPtr> rooms_of(std::string_view user) const;
  // Rooms this connection is subscribed to, sorted by name.
  // O(rooms + subscribers of all rooms).
  std::vector<RoomPtr> subscribed_rooms(std::uint64_t connection_id) const;
  std::size_t size() const;

 private:
  template <class Keep>
  std::vector<RoomPtr> sorted_rooms(Keep keep) const;

  struct Entry {
    RoomPtr room;
    std::string counted_as;  // whom the room counts against in owned_ ("" nobody), kept to uncount it
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> rooms_;  // key: canonical_name(room name)
  // Rooms per owner (or Quota::counted_as), under mutex_ with rooms_: counted and uncounted with the entry,
  // never by calling into a Room.
  std::unordered_map<std::string, std::size_t> owned_;
};

}  // namespace chat
