#include "server/registry/room_membership.hpp"

#include <algorithm>
#include <mutex>

#include "common/names.hpp"

namespace chat {

bool RoomMembership::add_member(std::string_view user, RoomRole role) {
  std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  if (banned_.contains(key)) {
    return false;
  }
  return members_.try_emplace(std::move(key), role).second;
}

bool RoomMembership::remove_member(std::string_view user) {
  const std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  return members_.erase(key) != 0;
}

std::optional<RoomRole> RoomMembership::role_of(std::string_view user) const {
  const std::string key = canonical_name(user);
  std::shared_lock lock(mutex_);
  const auto found = members_.find(key);
  if (found == members_.end()) {
    return std::nullopt;
  }
  return found->second;
}

bool RoomMembership::set_role(std::string_view user, RoomRole role) {
  const std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  const auto found = members_.find(key);
  if (found == members_.end()) {
    return false;
  }
  found->second = role;
  return true;
}

std::vector<std::pair<std::string, RoomRole>> RoomMembership::members() const {
  std::vector<std::pair<std::string, RoomRole>> result;
  {
    std::shared_lock lock(mutex_);
    result.assign(members_.begin(), members_.end());
  }
  std::sort(result.begin(), result.end());
  return result;
}

namespace {
std::vector<std::string> sorted_names(const std::unordered_set<std::string>& names) {
  std::vector<std::string> result(names.begin(), names.end());
  std::sort(result.begin(), result.end());
  return result;
}
}  // namespace

std::vector<std::string> RoomMembership::invited() const {
  std::shared_lock lock(mutex_);
  return sorted_names(invited_);
}

std::vector<std::string> RoomMembership::banned() const {
  std::shared_lock lock(mutex_);
  return sorted_names(banned_);
}

std::size_t RoomMembership::member_count() const {
  std::shared_lock lock(mutex_);
  return members_.size();
}

bool RoomMembership::invite(std::string_view user) {
  std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  if (banned_.contains(key)) {
    return false;
  }
  invited_.insert(std::move(key));
  return true;
}

bool RoomMembership::is_invited(std::string_view user) const {
  const std::string key = canonical_name(user);
  std::shared_lock lock(mutex_);
  return invited_.contains(key);
}

bool RoomMembership::revoke_invite(std::string_view user) {
  const std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  return invited_.erase(key) != 0;
}

void RoomMembership::ban(std::string_view user) {
  std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  members_.erase(key);
  invited_.erase(key);
  banned_.insert(std::move(key));
}

bool RoomMembership::unban(std::string_view user) {
  const std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  return banned_.erase(key) != 0;
}

bool RoomMembership::is_banned(std::string_view user) const {
  const std::string key = canonical_name(user);
  std::shared_lock lock(mutex_);
  return banned_.contains(key);
}

}  // namespace chat
