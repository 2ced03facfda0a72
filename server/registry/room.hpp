#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/registry/participant.hpp"
#include "server/registry/remote_presence.hpp"
#include "server/registry/room_membership.hpp"
#include "server/registry/room_role.hpp"
#include "server/registry/room_sequence.hpp"
#include "server/registry/room_settings.hpp"
#include "server/registry/room_subscriber.hpp"
#include "server/registry/room_subscriber_list.hpp"

namespace chat {

class RoomOutbox;  // the message pipeline's state of a room (server/messaging/message_pipeline.hpp)

// One room: its settings, persistent membership (RoomMembership), live
// subscribers (RoomSubscriberList), delivered seq (RoomSequence) and, opaque
// here, the message pipeline's outbox (RoomOutbox). Each part
// has its own synchronization, so a broadcast never waits for a topic change
// or a membership edit, and no method holds two locks at once.
//
// The room stores facts and enforces no policy beyond RoomMembership's ban
// rule: subscribe() does not check membership, invitations or bans.
//
// User names are ASCII case-insensitive (canonical_name()).
//
// Thread-safety: every method may be called from any thread, except that
// set_delivered_seq() expects one mutating thread at a time (see
// RoomSequence). No method calls Participant::deliver() or drops the last
// reference to a participant while holding a lock.
class Room {
 public:
  using SubscriberSnapshot = RoomSubscriberList::Snapshot;

  Room(std::string name, RoomSettings settings);

  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // The name as given at creation (the registry keys it by canonical_name()).
  const std::string& name() const noexcept { return name_; }
  RoomSettings settings() const;
  void set_topic(std::string topic);

  // --- persistent membership (see RoomMembership) ---
  bool add_member(std::string_view user, RoomRole role) { return membership_.add_member(user, role); }
  bool remove_member(std::string_view user) { return membership_.remove_member(user); }
  std::optional<RoomRole> role_of(std::string_view user) const { return membership_.role_of(user); }
  bool set_role(std::string_view user, RoomRole role) { return membership_.set_role(user, role); }
  std::vector<std::pair<std::string, RoomRole>> members() const { return membership_.members(); }
  std::size_t member_count() const { return membership_.member_count(); }

  bool invite(std::string_view user) { return membership_.invite(user); }
  bool is_invited(std::string_view user) const { return membership_.is_invited(user); }
  bool revoke_invite(std::string_view user) { return membership_.revoke_invite(user); }
  void ban(std::string_view user) { membership_.ban(user); }
  bool unban(std::string_view user) { return membership_.unban(user); }
  bool is_banned(std::string_view user) const { return membership_.is_banned(user); }
  std::vector<std::string> invited() const { return membership_.invited(); }
  std::vector<std::string> banned() const { return membership_.banned(); }

  // --- live subscribers (see RoomSubscriberList) ---
  // False if that connection is already subscribed; `participant` must not be null.
  bool subscribe(std::string_view user, ParticipantPtr participant) {
    return subscribers_.add(user, std::move(participant));
  }
  // False if the connection was not subscribed.
  bool unsubscribe(std::uint64_t connection_id) { return subscribers_.remove(connection_id); }
  // Unsubscribes every connection of `user`; returns how many.
  std::size_t unsubscribe_user(std::string_view user) { return subscribers_.remove_user(user); }
  // O(subscribers).
  bool is_subscribed(std::uint64_t connection_id) const { return subscribers_.contains(connection_id); }
  // A consistent, immutable snapshot; no lock is held once it is returned.
  SubscriberSnapshot subscribers() const { return subscribers_.snapshot(); }
  // Distinct users subscribed here or, on a node of a cluster, online in the room on another node. O(1) on a
  // server alone, O(subscribers) on a node whose room has users elsewhere.
  std::size_t online_count() const;
  // Whether `user` has a connection subscribed here. O(subscribers).
  bool is_subscribed_user(std::string_view user) const;

  // --- on a node of a cluster: who is online in the room on the other nodes (see RemotePresence) ---
  RemotePresence& elsewhere() noexcept { return elsewhere_; }
  const RemotePresence& elsewhere() const noexcept { return elsewhere_; }

  // Delivers `frame` once to every connection in one snapshot, holding no
  // lock while calling deliver(). A connection that subscribes during the
  // call may or may not receive it.
  void broadcast(std::shared_ptr<const std::string> frame) const;

  // --- delivered seq (see RoomSequence) ---
  std::int64_t delivered_seq() const noexcept { return sequence_.delivered(); }
  void set_delivered_seq(std::int64_t seq) noexcept { sequence_.set_delivered(seq); }

  // --- the message pipeline's state of the room ---
  // Made by `make` on the first call; the room keeps it for its life and never looks inside.
  template <class Make>
  RoomOutbox* outbox(Make&& make) {
    std::call_once(outbox_once_, [&] { outbox_ = make(); });
    return outbox_.get();
  }

 private:
  const std::string name_;
  mutable std::shared_mutex settings_mutex_;
  RoomSettings settings_;  // guarded by settings_mutex_
  RoomMembership membership_;
  RoomSubscriberList subscribers_;
  RemotePresence elsewhere_;
  RoomSequence sequence_;
  std::once_flag outbox_once_;
  std::shared_ptr<RoomOutbox> outbox_;  // set once, under outbox_once_
};

using RoomPtr = std::shared_ptr<Room>;

}  // namespace chat
