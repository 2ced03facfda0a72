#include "server/cluster/cluster_node.hpp"

#include <random>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/messaging/direct_message_inbox.hpp"

namespace chat {

namespace {

// Unique per run: a node that restarts is a new node, and its predecessor's claims expire with it.
std::string random_node_id() {
  std::random_device device;
  std::uniform_int_distribution<std::uint64_t> any;
  return fmt::format("{:016x}", any(device));
}

}  // namespace

ClusterNode::ClusterNode(NodeDirectory& directory, std::chrono::milliseconds timeout, EventBus& bus)
    : id_(random_node_id()), directory_(directory), timeout_(timeout), bus_(bus) {
  release_subscription_ = bus_.subscribe<Release>(
      [this](const Release& release) {
        try {
          directory_.release_guest_name(release.name, release.guest);
        } catch (const std::exception& e) {
          spdlog::debug("cluster: releasing the guest name '{}' failed ({}); the next heartbeat does it",
                        release.name, e.what());
        }
      },
      Priority::Normal);
}

ClusterNode::~ClusterNode() { stop(); }

void ClusterNode::start() {
  try {
    directory_.heartbeat(id_);
    // What waits for guests of nodes gone (this one's predecessor among them) is discarded with them.
    for (const auto& node : directory_.expire_nodes(id_, timeout_)) {
      spdlog::info("cluster: node {} stopped sending heartbeats: the names its guests held are free", node);
    }
  } catch (const std::exception& e) {
    heartbeat_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("cluster: node {} could not list itself in the database ({}); retrying", id_, e.what());
  }
  heartbeats_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "heartbeat");
    std::unique_lock lock(stop_mutex_);
    while (!stop_signal_.wait_for(lock, timeout_ / 3, [this] { return stopping_; })) {
      lock.unlock();
      beat();
      lock.lock();
    }
  });
}

void ClusterNode::stop() {
  if (stopped_.exchange(true)) return;
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (heartbeats_.joinable()) heartbeats_.join();
  release_subscription_.unsubscribe();
  try {
    directory_.leave(id_);
  } catch (const std::exception& e) {
    spdlog::warn("cluster: node {} could not remove itself from the database ({}); the others will after {} ms",
                 id_, e.what(), timeout_.count());
  }
}

bool ClusterNode::claim_guest(const std::string& name, PrincipalId guest) {
  std::lock_guard lock(claims_mutex_);
  // A guest here holds it, whatever the directory says (it may have lost its claims with this node's listing).
  if (claims_.contains(name)) return false;
  if (!directory_.claim_guest_name(name, id_, guest)) return false;
  claims_[name] = guest;
  return true;
}

void ClusterNode::release_guest(const std::string& name, PrincipalId guest) {
  {
    std::lock_guard lock(claims_mutex_);
    const auto found = claims_.find(name);
    if (found == claims_.end() || found->second != guest) return;
    claims_.erase(found);
  }
  // Under the name's key, after whatever else the guest's departure does there. Refused (stopping or
  // overloaded): the next heartbeat releases it, or stop() with every other claim.
  bus_.publish(Release{name, guest}, PublishOptions{DirectMessageInbox::ordering_key(name), Priority::Normal, {}});
}

std::optional<PrincipalId> ClusterNode::guest_named(std::string_view name) const {
  return directory_.guest_named(name);
}

void ClusterNode::beat() {
  try {
    const bool listed = directory_.heartbeat(id_);
    if (!listed) {
      spdlog::warn("cluster: node {} was taken for dead (its heartbeats did not reach the database for {} ms); "
                   "claiming its guests' names again",
                   id_, timeout_.count());
    }
    for (const auto& node : directory_.expire_nodes(id_, timeout_)) {
      nodes_expired_.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("cluster: node {} sent no heartbeat for {} ms: taken for dead, the names its guests held are free",
                   node, timeout_.count());
    }
    // Last: it waits for the claims of guests logging in meanwhile.
    match_claims();
  } catch (const std::exception& e) {
    heartbeat_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("cluster: heartbeat of node {} failed: {}", id_, e.what());
  }
}

void ClusterNode::match_claims() {
  std::vector<std::pair<std::string, PrincipalId>> lost;
  {
    std::lock_guard lock(claims_mutex_);
    std::unordered_map<std::string, PrincipalId> listed;
    for (auto& [name, guest] : directory_.guests_of(id_)) listed.emplace(std::move(name), guest);
    for (const auto& [name, guest] : listed) {
      const auto ours = claims_.find(name);
      if (ours == claims_.end() || ours->second != guest) directory_.release_guest_name(name, guest);
    }
    for (const auto& [name, guest] : claims_) {
      const auto found = listed.find(name);
      if (found != listed.end() && found->second == guest) continue;
      if (!directory_.claim_guest_name(name, id_, guest)) lost.emplace_back(name, guest);
    }
    for (const auto& [name, guest] : lost) claims_.erase(name);
  }
  for (const auto& [name, guest] : lost) {
    names_lost_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("cluster: the guest '{}' on node {} lost its name: another took it while this node was taken "
                 "for dead; its connection is closed",
                 name, id_);
    if (name_lost_) name_lost_(name, guest);
  }
}

ClusterNode::Stats ClusterNode::stats() const {
  return Stats{id_, nodes_expired_.load(std::memory_order_relaxed), names_lost_.load(std::memory_order_relaxed),
               heartbeat_failures_.load(std::memory_order_relaxed)};
}

}  // namespace chat
