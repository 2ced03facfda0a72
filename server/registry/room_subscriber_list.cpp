#include "server/registry/room_subscriber_list.hpp"

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <utility>

#include "common/names.hpp"

namespace chat {

namespace {

auto by_connection(std::uint64_t connection_id) {
  return [connection_id](const RoomSubscriber& s) { return s.connection_id == connection_id; };
}

}  // namespace

RoomSubscriberList::RoomSubscriberList() : current_(std::make_shared<const std::vector<RoomSubscriber>>()) {}

bool RoomSubscriberList::add(std::string_view user, ParticipantPtr participant) {
  if (!participant) {
    throw std::invalid_argument("RoomSubscriberList::add: null participant");
  }
  // Everything that may call into the participant or allocate happens before
  // the lock; `previous` is declared first so it is released after it.
  const std::uint64_t id = participant->connection_id();
  RoomSubscriber added{canonical_name(user), std::move(participant), id};
  Snapshot previous;
  std::lock_guard lock(write_mutex_);
  // `current` may be dropped under the lock: current_ or `previous` still
  // holds that version, so this is never the last reference.
  const Snapshot current = current_.load();
  if (std::any_of(current->begin(), current->end(), by_connection(id))) {
    return false;
  }
  std::vector<RoomSubscriber> next;
  next.reserve(current->size() + 1);
  next = *current;
  const std::string key = added.user;
  next.push_back(std::move(added));
  previous = publish(std::move(next), key, +1);
  return true;
}

bool RoomSubscriberList::remove(std::uint64_t connection_id) {
  Snapshot previous;
  std::lock_guard lock(write_mutex_);
  const Snapshot current = current_.load();
  const auto found = std::find_if(current->begin(), current->end(), by_connection(connection_id));
  if (found == current->end()) {
    return false;
  }
  const std::string user = found->user;
  std::vector<RoomSubscriber> next;
  next.reserve(current->size() - 1);
  next.insert(next.end(), current->begin(), found);
  next.insert(next.end(), std::next(found), current->end());
  previous = publish(std::move(next), user, -1);
  return true;
}

std::size_t RoomSubscriberList::remove_user(std::string_view user) {
  const std::string key = canonical_name(user);
  Snapshot previous;
  std::lock_guard lock(write_mutex_);
  const Snapshot current = current_.load();
  std::vector<RoomSubscriber> next;
  next.reserve(current->size());
  std::copy_if(current->begin(), current->end(), std::back_inserter(next),
               [&key](const RoomSubscriber& s) { return s.user != key; });
  const std::size_t removed = current->size() - next.size();
  if (removed != 0) {
    previous = publish(std::move(next), key, -static_cast<std::ptrdiff_t>(removed));
  }
  return removed;
}

bool RoomSubscriberList::contains(std::uint64_t connection_id) const {
  const Snapshot current = snapshot();
  return std::any_of(current->begin(), current->end(), by_connection(connection_id));
}

RoomSubscriberList::Snapshot RoomSubscriberList::snapshot() const { return current_.load(); }

std::size_t RoomSubscriberList::online_users() const noexcept {
  return online_users_.load(std::memory_order_relaxed);
}

RoomSubscriberList::Snapshot RoomSubscriberList::publish(std::vector<RoomSubscriber> next, const std::string& user,
                                                 std::ptrdiff_t delta) {
  std::size_t& connections = connections_per_user_[user];
  connections = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(connections) + delta);
  if (connections == 0) {
    connections_per_user_.erase(user);
  }
  online_users_.store(connections_per_user_.size(), std::memory_order_relaxed);
  return current_.exchange(std::make_shared<const std::vector<RoomSubscriber>>(std::move(next)));
}

}  // namespace chat
