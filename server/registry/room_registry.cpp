#include "server/registry/room_registry.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/names.hpp"

namespace chat {

RoomPtr RoomRegistry::create(std::string name, RoomSettings settings) {
  std::string key = canonical_name(name);
  // Built before locking: on a name clash it is simply dropped, lock released.
  auto room = std::make_shared<Room>(std::move(name), std::move(settings));
  std::unique_lock lock(mutex_);
  if (!rooms_.try_emplace(std::move(key), room).second) {
    return nullptr;
  }
  return room;
}

RoomPtr RoomRegistry::find(std::string_view name) const {
  const std::string key = canonical_name(name);
  std::shared_lock lock(mutex_);
  const auto found = rooms_.find(key);
  return found == rooms_.end() ? nullptr : found->second;
}

bool RoomRegistry::remove(std::string_view name) {
  const std::string key = canonical_name(name);
  decltype(rooms_)::node_type removed;  // destroyed after the lock: may hold the last RoomPtr
  std::unique_lock lock(mutex_);
  removed = rooms_.extract(key);
  return !removed.empty();
}

std::vector<RoomPtr> RoomRegistry::list() const {
  return sorted_rooms([](const Room&) { return true; });
}

std::vector<RoomPtr> RoomRegistry::rooms_of(std::string_view user) const {
  return sorted_rooms([&user](const Room& room) { return room.role_of(user).has_value(); });
}

std::vector<RoomPtr> RoomRegistry::subscribed_rooms(std::uint64_t connection_id) const {
  return sorted_rooms([connection_id](const Room& room) { return room.is_subscribed(connection_id); });
}

std::size_t RoomRegistry::size() const {
  std::shared_lock lock(mutex_);
  return rooms_.size();
}

template <class Keep>
std::vector<RoomPtr> RoomRegistry::sorted_rooms(Keep keep) const {
  std::vector<RoomPtr> rooms;
  {
    std::shared_lock lock(mutex_);
    rooms.reserve(rooms_.size());
    for (const auto& entry : rooms_) {
      rooms.push_back(entry.second);
    }
  }
  // Filtering calls into rooms, so it runs without the registry lock.
  std::erase_if(rooms, [&keep](const RoomPtr& room) { return !keep(*room); });
  std::sort(rooms.begin(), rooms.end(), [](const RoomPtr& a, const RoomPtr& b) { return a->name() < b->name(); });
  return rooms;
}

}  // namespace chat
