#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/latency_histogram.hpp"
#include "server/auth/login_gate.hpp"
#include "server/cluster/cluster_node.hpp"
#include "server/cluster/cluster_relay.hpp"
#include "server/concurrency/bus_core.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "server/net/disconnect_reason.hpp"
#include "server/storage/group_committer.hpp"
#include "server/storage/records.hpp"
#include "server/storage/storage_health.hpp"

namespace chat {

struct ServerContext;

// Every figure the server reports about itself, gathered in one place: the `stats` op renders it as JSON and
// /metrics as Prometheus text, so the two can never count differently. Each part is read from its owner's
// own snapshot (the pool's under its lock, and so on); the parts are not one atomic moment.
// A plain value; take() is safe from any thread, and costs two COUNT(*)s on a reader connection (the messages
// table, and the undelivered direct messages by their partial index).
struct ServerSnapshot {
  struct Requests {
    std::uint64_t busy = 0;
    std::uint64_t expired = 0;
    std::uint64_t cancelled = 0;
  };

  std::size_t connections = 0;
  // The same connections by transport ("tcp", "ws"...); every transport the server speaks is listed, 0 too.
  std::map<std::string, std::size_t> connections_by_transport;
  std::size_t users_online = 0;
  std::size_t rooms = 0;
  // Read from the database: none when it cannot be read (PostgreSQL gone), so that stats and /metrics still
  // answer, and say so, when the operator needs them most.
  std::optional<std::int64_t> messages_stored;          // rows in the messages table
  std::optional<std::int64_t> direct_messages_waiting;  // stored for a recipient, not yet delivered
  LatencySummary delivery_latency;           // MessagePipeline::delivery_latency
  PoolStats pool;
  GroupCommitter::Stats commits;
  BusStats bus;
  Requests requests;
  StorageHealth::Snapshot storage;
  std::optional<CheckpointStats> checkpoints;  // SQLite's WAL; none on PostgreSQL
  std::array<std::uint64_t, kDisconnectReasonCount> disconnects{};  // indexed by DisconnectReason
  LoginGate::Stats logins;
  struct LoggedIn {
    std::uint64_t accounts = 0;
    std::uint64_t registrations = 0;
    std::uint64_t guests = 0;
  };
  LoggedIn logged_in;
  std::uint64_t name_probes_refused = 0;
  std::optional<ClusterRelay::Stats> cluster;    // a node of a cluster only
  std::optional<ClusterNode::Stats> cluster_node;  // a node of a cluster only

  static ServerSnapshot take(const ServerContext& server);
};

}  // namespace chat
