#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace chat {

// Who is online in one room on the other nodes of a cluster, by node: each node's set as it last reported it
// (one user at a time as they come and go, and the whole set every few seconds), and when. A node that stops
// reporting — dead, or its reports lost — is forgotten once its report is older than the caller's cutoff.
//
// Every method that changes it returns the users whose state *elsewhere* changed (online on no other node
// before, and now on one; or the reverse), for the caller to announce where it matters.
//
// User names are canonical (canonical_name()). Thread-safe; every method holds one mutex briefly.
class RemotePresence {
 public:
  using Clock = std::chrono::steady_clock;
  struct Change {
    std::vector<std::string> came;  // now online elsewhere, and were not
    std::vector<std::string> went;  // no longer online anywhere else
    bool empty() const noexcept { return came.empty() && went.empty(); }
  };

  // One user of `node` came online in the room, or went.
  Change report(const std::string& node, const std::string& user, bool online, Clock::time_point now);
  // The node's whole set (empty: none any more).
  Change replace(const std::string& node, std::vector<std::string> users, Clock::time_point now);
  // Forgets every node whose last report is older than `cutoff`.
  Change expire(Clock::time_point cutoff);
  // The user is out of the room on every node (left, kicked, banned): forgotten at once, announced by the caller.
  void forget(const std::string& user);

  bool online(std::string_view user) const;
  // The users online elsewhere and not in `here`. O(users elsewhere).
  std::size_t count_besides(const std::unordered_set<std::string>& here) const;
  bool empty() const;

 private:
  struct Node {
    std::unordered_set<std::string> users;
    Clock::time_point reported;
  };
  // Under mutex_: the nodes each user is online on, kept with nodes_.
  void add(const std::string& node, const std::string& user, Change& change);
  void remove(const std::string& node, const std::string& user, Change& change);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Node> nodes_;
  std::unordered_map<std::string, std::size_t> users_;  // user -> on how many nodes
};

}  // namespace chat
