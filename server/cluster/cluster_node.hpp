#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "server/concurrency/event_bus.hpp"
#include "server/storage/node_directory.hpp"

namespace chat {

// This server's place among the nodes of a cluster, kept in the shared database (NodeDirectory): its id, a
// heartbeat, and the names its guests hold — so that a guest name is one guest's on every node, and a name a
// dead node's guest held is freed once its heartbeat is cluster.node_timeout_ms old.
//
// Every third of the timeout: the heartbeat; then this node's claims in the database are made to match its
// guests (a release that failed is done again; claims lost while the node was taken for dead are made again,
// and a guest whose name another took meanwhile is handed to `name_lost`: the name is the other's from then
// on); then the nodes found dead are removed, with their claims and what waited for their guests. On a thread
// of its own, and a database connection of its own (NodeDirectory): a heartbeat that waited behind a pool or a
// store kept busy by clients would let them have the node taken for dead, and its guests' names taken.
//
// Thread-safety: every method from any thread.
class ClusterNode {
 public:
  struct Stats {
    std::string id;
    std::uint64_t nodes_expired = 0;  // other nodes this one found dead and removed
    std::uint64_t names_lost = 0;     // guests here whose names others took while this node was taken for dead
    std::uint64_t heartbeat_failures = 0;
  };

  // A guest of this node whose name another holds now: its connections must not go on under it.
  using NameLost = std::function<void(const std::string& name, PrincipalId guest)>;

  ClusterNode(NodeDirectory& directory, std::chrono::milliseconds timeout, EventBus& bus);
  ~ClusterNode();

  const std::string& id() const noexcept { return id_; }

  // Before start().
  void set_name_lost(NameLost name_lost) { name_lost_ = std::move(name_lost); }
  // Lists the node (or logs why it could not: the next heartbeat tries again) and starts the heartbeats.
  void start();
  // Stops them and removes the node and its guests' names from the directory.
  void stop();

  // Claims the name for a guest of this node before it is let in. False: an account, or a guest on any node
  // (this one included), holds it. Throws StorageError when the database cannot say.
  bool claim_guest(const std::string& name, PrincipalId guest);
  // The guest left, or was never let in: its claim is released soon (on the pool), or by the next heartbeat.
  void release_guest(const std::string& name, PrincipalId guest);
  // The guest holding the name on any node. Throws StorageError.
  std::optional<PrincipalId> guest_named(std::string_view name) const;

  Stats stats() const;

 private:
  struct Release {
    std::string name;
    PrincipalId guest = 0;
  };
  void beat();
  void match_claims();

  const std::string id_;
  NodeDirectory& directory_;
  const std::chrono::milliseconds timeout_;
  EventBus& bus_;
  NameLost name_lost_;
  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::atomic<bool> stopped_{false};
  std::thread heartbeats_;
  std::atomic<std::uint64_t> nodes_expired_{0};
  std::atomic<std::uint64_t> names_lost_{0};
  std::atomic<std::uint64_t> heartbeat_failures_{0};
  // The names this node's guests hold (name -> guest), the truth the directory's claims are made to match.
  // Held across the directory's calls that change them, so that a claim and the matching never cross.
  std::mutex claims_mutex_;
  std::unordered_map<std::string, PrincipalId> claims_;
  Subscription release_subscription_;
};

}  // namespace chat
