#include "server/server_snapshot.hpp"

#include "server/server_context.hpp"
#include "server/storage/storage_error.hpp"

namespace chat {

ServerSnapshot ServerSnapshot::take(const ServerContext& server) {
  ServerSnapshot snapshot;
  snapshot.connections_by_transport = server.connections_by_transport();
  snapshot.connections = 0;
  for (const auto& [transport, count] : snapshot.connections_by_transport) snapshot.connections += count;
  snapshot.users_online = server.users.user_count();
  snapshot.rooms = server.rooms.size();
  // Not asked while storage fails: a database that is gone could hold a scrape for its connect timeout.
  if (!server.store.writes_failing()) {
    try {
      snapshot.messages_stored = server.store.message_count();
      snapshot.direct_messages_waiting = server.store.count_undelivered_direct_messages();
    } catch (const StorageError&) {
      // Left empty; the storage health below says why.
    }
  }
  snapshot.delivery_latency = server.messages.delivery_latency();
  snapshot.pool = server.pool.stats();
  snapshot.commits = server.committer.stats();
  snapshot.bus = server.bus.stats();
  snapshot.requests = {server.requests.busy.load(std::memory_order_relaxed),
                       server.requests.expired.load(std::memory_order_relaxed),
                       server.requests.cancelled.load(std::memory_order_relaxed)};
  snapshot.storage = server.store.health();
  snapshot.checkpoints = server.store.checkpoint_stats();
  for (std::size_t i = 0; i < kDisconnectReasonCount; ++i) {
    snapshot.disconnects[i] = server.disconnects.get(static_cast<DisconnectReason>(i));
  }
  snapshot.logins = server.login_gate.stats();
  snapshot.logged_in = {server.logins.accounts.load(std::memory_order_relaxed),
                        server.logins.registrations.load(std::memory_order_relaxed),
                        server.logins.guests.load(std::memory_order_relaxed)};
  snapshot.name_probes_refused = server.name_probes.refused();
  snapshot.cluster = server.cluster_stats();
  if (server.cluster_node) snapshot.cluster_node = server.cluster_node->stats();
  return snapshot;
}

}  // namespace chat
