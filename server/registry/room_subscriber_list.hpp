#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/registry/participant.hpp"
#include "server/registry/shared_snapshot.hpp"
#include "server/registry/room_subscriber.hpp"

namespace chat {

// The live subscribers of one room, copy-on-write: a broadcast takes one
// snapshot (a shared_ptr copy under a lock held for nanoseconds) and then
// iterates it with no lock held, while joins and leaves publish new versions.
//
// Thread-safety: every method may be called from any thread. Writers are
// serialized among themselves and never block readers for longer than one
// pointer swap. No method calls into a participant or drops the last
// reference to one while holding a lock.
//
// Costs: snapshot(), online_users() O(1); add/remove/remove_user and
// contains() O(n) in the number of subscribers (joins and leaves are rare
// next to broadcasts, and a contiguous vector is the fastest thing to iterate).
class RoomSubscriberList {
 public:
  using Snapshot = std::shared_ptr<const std::vector<RoomSubscriber>>;

  RoomSubscriberList();

  // False if that connection is already subscribed. `participant` must not be
  // null (std::invalid_argument).
  bool add(std::string_view user, ParticipantPtr participant);
  // False if the connection was not subscribed.
  bool remove(std::uint64_t connection_id);
  // Removes every connection of `user`; returns how many.
  std::size_t remove_user(std::string_view user);

  bool contains(std::uint64_t connection_id) const;
  Snapshot snapshot() const;
  // Distinct users with at least one subscribed connection.
  std::size_t online_users() const noexcept;

 private:
  // Publishes `next` and recounts users; returns the previous version, which
  // the caller must drop after releasing write_mutex_.
  [[nodiscard]] Snapshot publish(std::vector<RoomSubscriber> next, const std::string& user, std::ptrdiff_t delta);

  std::mutex write_mutex_;  // serializes copy-modify-publish
  SharedSnapshot<std::vector<RoomSubscriber>> current_;
  std::unordered_map<std::string, std::size_t> connections_per_user_;  // guarded by write_mutex_
  std::atomic<std::size_t> online_users_{0};  // written under write_mutex_, read lock-free
};

}  // namespace chat
