#include "server/registry/room_registry.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "common/names.hpp"

namespace chat {

RoomPtr RoomRegistry::create(std::string name, RoomSettings settings) {
  return create_within(std::move(name), std::move(settings), Quota{}).room;
}

RoomRegistry::Created RoomRegistry::create_within(std::string name, RoomSettings settings, Quota quota) {
  std::string key = canonical_name(name);
  std::string owner = !quota.counted_as.empty() ? std::move(quota.counted_as)
                      : settings.owner.empty()   ? std::string{}
                                                 : canonical_name(settings.owner);
  // Built before locking: on a refusal it is simply dropped, lock released.
  auto room = std::make_shared<Room>(std::move(name), std::move(settings));
  std::unique_lock lock(mutex_);
  if (rooms_.contains(key)) return {nullptr, Refusal::Exists};
  // The owner's own bound first: it is the one its owner can do something about.
  const auto owned = owner.empty() ? owned_.end() : owned_.find(owner);
  if (quota.max_per_owner != 0 && owned != owned_.end() && owned->second >= quota.max_per_owner) {
    return {nullptr, Refusal::OwnerFull};
  }
  if (quota.max_rooms != 0 && rooms_.size() >= quota.max_rooms) return {nullptr, Refusal::Full};
  if (!owner.empty()) ++owned_[owner];
  rooms_.emplace(std::move(key), Entry{room, std::move(owner)});
  return {std::move(room), Refusal::None};
}

std::size_t RoomRegistry::owned_by(std::string_view user) const {
  const std::string key = canonical_name(user);
  std::shared_lock lock(mutex_);
  const auto found = owned_.find(key);
  return found == owned_.end() ? 0 : found->second;
}

RoomPtr RoomRegistry::find(std::string_view name) const {
  const std::string key = canonical_name(name);
  std::shared_lock lock(mutex_);
  const auto found = rooms_.find(key);
  return found == rooms_.end() ? nullptr : found->second.room;
}

bool RoomRegistry::remove(std::string_view name) {
  const std::string key = canonical_name(name);
  decltype(rooms_)::node_type removed;  // destroyed after the lock: may hold the last RoomPtr
  std::unique_lock lock(mutex_);
  removed = rooms_.extract(key);
  if (removed.empty()) return false;
  const auto& counted_as = removed.mapped().counted_as;
  if (!counted_as.empty()) {
    const auto owned = owned_.find(counted_as);
    if (owned != owned_.end() && --owned->second == 0) owned_.erase(owned);
  }
  return true;
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
      rooms.push_back(entry.second.room);
    }
  }
  // Filtering calls into rooms, so it runs without the registry lock.
  std::erase_if(rooms, [&keep](const RoomPtr& room) { return !keep(*room); });
  std::sort(rooms.begin(), rooms.end(), [](const RoomPtr& a, const RoomPtr& b) { return a->name() < b->name(); });
  return rooms;
}

}  // namespace chat
