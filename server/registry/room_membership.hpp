#pragma once

#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "server/registry/room_role.hpp"

namespace chat {

// The persistent side of a room's access: members with their roles, pending
// invitations and bans. It stores facts; policy (who may invite, whether a
// private room needs an invitation) belongs to the caller. The one rule kept
// here is that a banned user is never a member or invited, because callers
// could not make "check ban, then add" atomic from outside.
//
// User names are compared by canonical_name() (ASCII case-insensitive) and
// returned canonical.
//
// Thread-safety: every method may be called from any thread; readers share a
// std::shared_mutex, writers hold it exclusively. No callbacks run under it.
class RoomMembership {
 public:
  // False if `user` is already a member (role unchanged) or banned.
  bool add_member(std::string_view user, RoomRole role);
  bool remove_member(std::string_view user);
  std::optional<RoomRole> role_of(std::string_view user) const;
  // False (and nothing changes) if `user` is not a member.
  bool set_role(std::string_view user, RoomRole role);
  // Sorted by name.
  std::vector<std::pair<std::string, RoomRole>> members() const;
  std::size_t member_count() const;

  // False if `user` is banned (an invitation would be meaningless).
  bool invite(std::string_view user);
  bool is_invited(std::string_view user) const;
  // False if there was no invitation.
  bool revoke_invite(std::string_view user);

  // Bans `user` and, atomically, removes the membership and invitation.
  // Live subscriptions are left to the caller, which must tell those sessions.
  void ban(std::string_view user);
  // False if `user` was not banned.
  bool unban(std::string_view user);
  // Canonical names, sorted.
  std::vector<std::string> invited() const;
  std::vector<std::string> banned() const;
  bool is_banned(std::string_view user) const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, RoomRole> members_;
  std::unordered_set<std::string> invited_;
  std::unordered_set<std::string> banned_;
};

}  // namespace chat
