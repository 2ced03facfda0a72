#include "server/registry/room.hpp"

#include <mutex>

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

void Room::broadcast(std::shared_ptr<const std::string> frame) const {
  const SubscriberSnapshot snapshot = subscribers_.snapshot();
  for (const RoomSubscriber& subscriber : *snapshot) {
    subscriber.participant->deliver(frame);
  }
}

}  // namespace chat
