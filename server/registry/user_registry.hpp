#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/registry/participant.hpp"

namespace chat {

// Who is online, with which sessions, by canonical_name() (ASCII
// case-insensitive).
//
// A registered user may have several sessions at once. A guest name is
// exclusive: a guest cannot share a name with any other session, guest or
// registered, and a registered user cannot log in under a name a guest holds.
// Each name online belongs to one principal (an account's or a guest's id,
// see Identity): sessions of another principal are refused under it, and
// whoever looks for a principal's sessions names the principal, so that the
// holder of a name now never gets what was meant for an earlier holder.
//
// Each session also carries whether its inbox is open: whether the user's
// direct messages go to it live. A session that logs in opens it only once
// what waited for the user was delivered to it, so that a live message never
// overtakes an older one (DirectMessageInbox). The flag goes with the session.
//
// Thread-safety: every method may be called from any thread; lookups share a
// std::shared_mutex, add/remove hold it exclusively. No participant is called
// or released while it is held.
class UserRegistry {
 public:
  struct OnlineUser {
    std::string name;  // as given by the user's first current session
    std::int64_t id = 0;
    bool guest = false;
  };

  // Adds a session of `principal`, its inbox open or not. False if it would
  // break guest exclusivity (see above), another principal holds the name, or
  // that connection is already a session of `user`. `participant` must not
  // be null (std::invalid_argument).
  bool add(std::string_view user, std::int64_t principal, bool guest, ParticipantPtr participant,
           bool inbox_open = false);
  // Opens the inbox of one session, which has had the direct messages up to
  // `backlog_through` (their ids) with its backlog. False if there is no such
  // session.
  bool open_inbox(std::string_view user, std::uint64_t connection_id, std::int64_t backlog_through = 0);
  // Removes one session; the user goes offline with the last one. False if
  // there was no such session.
  bool remove(std::string_view user, std::uint64_t connection_id);

  // In the order they were added; empty if offline.
  std::vector<ParticipantPtr> sessions_of(std::string_view user) const;
  // The sessions whose inbox is open and that have not had the direct message
  // `message` (its id) with their backlog, in the order they were added; none
  // when the name is not held by `principal` now.
  std::vector<ParticipantPtr> inbox_sessions_of(std::string_view user, std::int64_t principal,
                                                std::int64_t message) const;
  // Who holds the name now; nullopt if nobody.
  std::optional<OnlineUser> find(std::string_view user) const;
  bool is_online(std::string_view user) const;
  // nullopt if offline.
  std::optional<bool> is_guest(std::string_view user) const;
  std::size_t user_count() const;
  std::size_t session_count() const;
  // Snapshot, sorted by name.
  std::vector<OnlineUser> list() const;

 private:
  struct Session {
    std::uint64_t connection_id;  // cached: lookups never call into a participant
    ParticipantPtr participant;
    bool inbox_open = false;
    std::int64_t backlog_through = 0;  // the newest direct message it had with its backlog
  };
  std::vector<ParticipantPtr> sessions_where(std::string_view user, std::optional<std::int64_t> inbox_of,
                                             std::int64_t message) const;
  struct Entry {
    std::string name;
    std::int64_t id;
    bool guest;
    std::vector<Session> sessions;  // never empty
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> users_;  // key: canonical_name(user)
  std::size_t session_count_ = 0;                 // guarded by mutex_
};

}  // namespace chat
