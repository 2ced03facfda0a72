#include "server/registry/remote_presence.hpp"

namespace chat {

void RemotePresence::add(const std::string& node, const std::string& user, Change& change) {
  if (!nodes_[node].users.insert(user).second) return;
  if (users_[user]++ == 0) change.came.push_back(user);
}

void RemotePresence::remove(const std::string& node, const std::string& user, Change& change) {
  const auto found = nodes_.find(node);
  if (found == nodes_.end() || found->second.users.erase(user) == 0) return;
  const auto count = users_.find(user);
  if (count == users_.end()) return;
  if (--count->second == 0) {
    users_.erase(count);
    change.went.push_back(user);
  }
}

RemotePresence::Change RemotePresence::report(const std::string& node, const std::string& user, bool online,
                                              Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Change change;
  if (online) {
    add(node, user, change);
    nodes_[node].reported = now;
  } else {
    remove(node, user, change);
  }
  return change;
}

RemotePresence::Change RemotePresence::replace(const std::string& node, std::vector<std::string> users,
                                               Clock::time_point now) {
  std::lock_guard lock(mutex_);
  Change change;
  const std::unordered_set<std::string> next(std::make_move_iterator(users.begin()),
                                             std::make_move_iterator(users.end()));
  if (const auto found = nodes_.find(node); found != nodes_.end()) {
    const auto before = found->second.users;
    for (const auto& user : before) {
      if (!next.contains(user)) remove(node, user, change);
    }
  }
  for (const auto& user : next) add(node, user, change);
  if (next.empty()) {
    nodes_.erase(node);
  } else {
    nodes_[node].reported = now;
  }
  return change;
}

RemotePresence::Change RemotePresence::expire(Clock::time_point cutoff) {
  std::lock_guard lock(mutex_);
  Change change;
  std::vector<std::string> stale;
  for (const auto& [node, state] : nodes_) {
    if (state.reported < cutoff) stale.push_back(node);
  }
  for (const auto& node : stale) {
    const auto users = nodes_[node].users;
    for (const auto& user : users) remove(node, user, change);
    nodes_.erase(node);
  }
  return change;
}

void RemotePresence::forget(const std::string& user) {
  std::lock_guard lock(mutex_);
  if (users_.erase(user) == 0) return;
  for (auto& [node, state] : nodes_) state.users.erase(user);
}

bool RemotePresence::online(std::string_view user) const {
  std::lock_guard lock(mutex_);
  return users_.contains(std::string(user));
}

std::size_t RemotePresence::count_besides(const std::unordered_set<std::string>& here) const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [user, nodes] : users_) count += here.contains(user) ? 0 : 1;
  return count;
}

bool RemotePresence::empty() const {
  std::lock_guard lock(mutex_);
  return users_.empty();
}

}  // namespace chat
