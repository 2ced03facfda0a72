#include "server/registry/user_registry.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "common/names.hpp"

namespace chat {

bool UserRegistry::add(std::string_view user, std::int64_t principal, bool guest, ParticipantPtr participant,
                       bool inbox_open) {
  if (!participant) {
    throw std::invalid_argument("UserRegistry::add: null participant");
  }
  std::string key = canonical_name(user);
  // Declared before the lock so that, on failure, the participant is released after it.
  Session session{participant->connection_id(), std::move(participant), inbox_open};
  std::unique_lock lock(mutex_);
  const auto found = users_.find(key);
  if (found == users_.end()) {
    users_.emplace(std::move(key), Entry{std::string(user), principal, guest, {std::move(session)}});
  } else {
    std::vector<Session>& sessions = found->second.sessions;
    const bool taken = guest || found->second.guest || found->second.id != principal;
    const bool duplicate = std::any_of(sessions.begin(), sessions.end(), [&session](const Session& s) {
      return s.connection_id == session.connection_id;
    });
    if (taken || duplicate) {
      return false;
    }
    sessions.push_back(std::move(session));
  }
  ++session_count_;
  return true;
}

bool UserRegistry::remove(std::string_view user, std::uint64_t connection_id) {
  const std::string key = canonical_name(user);
  // Both released after the lock: either may hold the last reference to a participant.
  ParticipantPtr removed;
  decltype(users_)::node_type gone;
  std::unique_lock lock(mutex_);
  const auto found = users_.find(key);
  if (found == users_.end()) {
    return false;
  }
  std::vector<Session>& sessions = found->second.sessions;
  const auto session = std::find_if(sessions.begin(), sessions.end(),
                                    [connection_id](const Session& s) { return s.connection_id == connection_id; });
  if (session == sessions.end()) {
    return false;
  }
  removed = std::move(session->participant);
  sessions.erase(session);
  --session_count_;
  if (sessions.empty()) {
    gone = users_.extract(found);
  }
  return true;
}

bool UserRegistry::open_inbox(std::string_view user, std::uint64_t connection_id, std::int64_t backlog_through) {
  const std::string key = canonical_name(user);
  std::unique_lock lock(mutex_);
  const auto found = users_.find(key);
  if (found == users_.end()) {
    return false;
  }
  for (Session& session : found->second.sessions) {
    if (session.connection_id == connection_id) {
      session.inbox_open = true;
      session.backlog_through = backlog_through;
      return true;
    }
  }
  return false;
}

std::vector<ParticipantPtr> UserRegistry::sessions_of(std::string_view user) const {
  return sessions_where(user, std::nullopt, 0);
}

std::vector<ParticipantPtr> UserRegistry::inbox_sessions_of(std::string_view user, std::int64_t principal,
                                                            std::int64_t message) const {
  return sessions_where(user, principal, message);
}

std::vector<ParticipantPtr> UserRegistry::sessions_where(std::string_view user, std::optional<std::int64_t> inbox_of,
                                                         std::int64_t message) const {
  const std::string key = canonical_name(user);
  std::vector<ParticipantPtr> result;
  std::shared_lock lock(mutex_);
  const auto found = users_.find(key);
  if (found != users_.end() && (!inbox_of || found->second.id == *inbox_of)) {
    result.reserve(found->second.sessions.size());
    for (const Session& session : found->second.sessions) {
      if (!inbox_of || (session.inbox_open && session.backlog_through < message)) {
        result.push_back(session.participant);
      }
    }
  }
  return result;
}

std::optional<UserRegistry::OnlineUser> UserRegistry::find(std::string_view user) const {
  const std::string key = canonical_name(user);
  std::shared_lock lock(mutex_);
  const auto found = users_.find(key);
  if (found == users_.end()) {
    return std::nullopt;
  }
  return OnlineUser{found->second.name, found->second.id, found->second.guest};
}

bool UserRegistry::is_online(std::string_view user) const { return find(user).has_value(); }

std::optional<bool> UserRegistry::is_guest(std::string_view user) const {
  const auto online = find(user);
  if (!online) {
    return std::nullopt;
  }
  return online->guest;
}

std::size_t UserRegistry::user_count() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

std::size_t UserRegistry::session_count() const {
  std::shared_lock lock(mutex_);
  return session_count_;
}

std::vector<UserRegistry::OnlineUser> UserRegistry::list() const {
  std::vector<OnlineUser> result;
  {
    std::shared_lock lock(mutex_);
    result.reserve(users_.size());
    for (const auto& entry : users_) {
      result.push_back(OnlineUser{entry.second.name, entry.second.id, entry.second.guest});
    }
  }
  std::sort(result.begin(), result.end(), [](const OnlineUser& a, const OnlineUser& b) { return a.name < b.name; });
  return result;
}

}  // namespace chat
