#include "server/registry/room.hpp"

#include <algorithm>
#include <mutex>
#include <unordered_set>

namespace chat {

Room::Room(std::string name, RoomSettings settings) : name_(std::move(name)), settings_(std::move(settings)) {}

RoomSettings Room::settings() const {
  std::shared_lock lock(settings_mutex_);
  return settings_;
}

void Room::set_topic(std::string topic) {
  std::unique_lock lock(settings_mutex_);
  settings_.topic = std::move(topic);
}

std::size_t Room::online_count() const {
  if (elsewhere_.empty()) return subscribers_.online_users();
  std::unordered_set<std::string> here;
  for (const auto& subscriber : *subscribers_.snapshot()) here.insert(subscriber.user);
  return here.size() + elsewhere_.count_besides(here);
}

bool Room::is_subscribed_user(std::string_view user) const {
  const auto snapshot = subscribers_.snapshot();
  return std::any_of(snapshot->begin(), snapshot->end(), [&](const RoomSubscriber& s) { return s.user == user; });
}

void Room::broadcast(std::shared_ptr<const std::string> frame) const {
  const SubscriberSnapshot snapshot = subscribers_.snapshot();
  for (const RoomSubscriber& subscriber : *snapshot) {
    subscriber.participant->deliver(frame);
  }
}

}  // namespace chat
