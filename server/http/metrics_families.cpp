#include "server/http/metrics_families.hpp"

#include <chrono>
#include <string>

namespace chat {

namespace {

using Type = PrometheusText::Type;

double seconds(std::chrono::nanoseconds value) { return std::chrono::duration<double>(value).count(); }

// A histogram of durations at LatencySummary's fixed bounds (16 µs to 17 s, a factor of 4 apart), exact counts.
void latency_histogram(PrometheusText& page, const std::string& name, std::string_view help,
                       const LatencySummary& latency) {
  page.family(name, Type::histogram, help);
  const std::string bucket = name + "_bucket";
  for (std::size_t i = 0; i < LatencySummary::kBounds; ++i) {
    page.sample(bucket, latency.at_most[i], {{"le", PrometheusText::number(seconds(LatencySummary::bound(i)))}});
  }
  page.sample(bucket, latency.samples, {{"le", "+Inf"}});
  page.sample(name + "_sum", seconds(latency.sum));
  page.sample(name + "_count", latency.samples);
}

// Group commits by their number of messages: le = 2^(i+1) - 1 for the committer's size classes.
void batch_size_histogram(PrometheusText& page, const GroupCommitter::Stats& commits) {
  const std::string name = "chat_commit_batch_size";
  page.family(name, Type::histogram, "Messages per group commit.");
  std::uint64_t at_most = 0;
  for (std::size_t i = 0; i + 1 < GroupCommitter::Stats::kBatchSizeClasses; ++i) {
    at_most += commits.batch_sizes[i];
    page.sample(name + "_bucket", at_most, {{"le", std::to_string((std::uint64_t{2} << i) - 1)}});
  }
  page.sample(name + "_bucket", commits.batches, {{"le", "+Inf"}});
  page.sample(name + "_sum", commits.messages_flushed);
  page.sample(name + "_count", commits.batches);
}

}  // namespace

void write_snapshot_metrics(PrometheusText& page, const ServerSnapshot& s) {
  page.family("chat_connections", Type::gauge, "Chat connections open now, by transport.");
  for (const auto& [transport, count] : s.connections_by_transport) {
    page.sample("chat_connections", count, {{"transport", transport}});
  }
  page.single("chat_users_online", Type::gauge, "Distinct users logged in now.", s.users_online);
  page.single("chat_rooms", Type::gauge, "Rooms known to the server.", s.rooms);
  if (s.messages_stored) {  // absent while the database cannot be read
    page.single("chat_messages_stored_total", Type::counter, "Room messages in the database.", *s.messages_stored);
  }

  const auto& pool = s.pool;
  page.single("chat_pool_threads", Type::gauge, "Worker threads alive.", pool.live_threads);
  page.single("chat_pool_idle_threads", Type::gauge, "Worker threads waiting for work.", pool.idle_threads);
  page.single("chat_pool_peak_threads", Type::gauge, "Most worker threads alive at once since start.",
              pool.peak_threads);
  page.single("chat_pool_queued", Type::gauge, "Tasks waiting for a worker.", pool.queued_total());
  page.single("chat_pool_running", Type::gauge, "Tasks running now.", pool.running);
  page.single("chat_pool_submitted_total", Type::counter, "Tasks accepted by the worker pool.", pool.submitted);
  page.single("chat_pool_completed_total", Type::counter, "Tasks that ran to their end.", pool.completed);
  page.single("chat_pool_failed_total", Type::counter, "Tasks that ended with an exception.", pool.failed);
  page.single("chat_pool_cancelled_total", Type::counter, "Tasks cancelled before or while running.", pool.cancelled);
  page.single("chat_pool_timed_out_total", Type::counter, "Tasks past their start deadline or run timeout.",
              pool.timed_out);
  page.single("chat_pool_rejected_total", Type::counter, "Tasks the pool refused (queue full, shut down).",
              pool.rejected);
  latency_histogram(page, "chat_pool_queue_wait_seconds", "Time tasks waited in the queue for a worker.",
                    pool.queue_wait);
  latency_histogram(page, "chat_pool_run_seconds", "Time tasks ran on a worker.", pool.run_time);

  const auto& commits = s.commits;
  page.single("chat_commit_batches_total", Type::counter, "Group commits that wrote messages.", commits.batches);
  page.single("chat_messages_committed_total", Type::counter, "Messages committed since start.", commits.committed);
  page.single("chat_commit_duplicates_total", Type::counter,
              "Retried sends answered with the stored original's seq.", commits.duplicates);
  page.single("chat_commit_failed_total", Type::counter, "Messages whose commit failed.", commits.failed);
  page.single("chat_commit_refused_total", Type::counter,
              "Sends refused because storage.commit_backlog_max messages waited.", commits.refused_full);
  page.single("chat_commit_refused_schedules_total", Type::counter,
              "Flushes the full worker pool refused (retried later).", commits.refused_schedules);
  page.single("chat_commit_largest_batch", Type::gauge, "Messages in the largest group commit since start.",
              commits.largest_batch);
  batch_size_histogram(page, commits);
  latency_histogram(page, "chat_commit_seconds",
                    "Time a group commit's transaction took (its record-by-record retry included).",
                    commits.commit_time);
  latency_histogram(page, "chat_delivery_seconds",
                    "Time from a room message's acceptance to its broadcast to the room's members: the commit "
                    "and the hand-offs around it.",
                    s.delivery_latency);
  if (s.direct_messages_waiting) {
    page.single("chat_direct_messages_waiting", Type::gauge,
                "Direct messages stored for a recipient and not yet delivered to it.", *s.direct_messages_waiting);
  }

  const auto& bus = s.bus;
  page.single("chat_bus_published_total", Type::counter, "Events accepted by the event bus.", bus.published);
  page.single("chat_bus_refused_total", Type::counter, "Events the event bus refused.", bus.refused);
  page.single("chat_bus_handler_failures_total", Type::counter, "Event handlers that threw.", bus.handler_failures);
  page.single("chat_bus_backlog", Type::gauge, "Accepted event deliveries not yet finished.", bus.backlog);
  page.single("chat_bus_keys_active", Type::gauge, "Ordering keys with deliveries pending or running.",
              bus.keys_active);

  page.single("chat_requests_busy_total", Type::counter, "Requests refused at once: the work queue was full.",
              s.requests.busy);
  page.single("chat_requests_expired_total", Type::counter,
              "Requests that waited past limits.request_deadline_ms and were answered overloaded.",
              s.requests.expired);
  page.single("chat_requests_cancelled_total", Type::counter,
              "Requests not run because their connection closed while they waited.", s.requests.cancelled);

  const auto& storage = s.storage;
  page.single("chat_storage_failing", Type::gauge, "1 while storage writes fail (sends refused), else 0.",
              storage.state == StorageHealth::State::failing ? 1 : 0);
  page.single("chat_storage_state_since_timestamp_seconds", Type::gauge,
              "When the storage state last changed, in seconds since the epoch.",
              static_cast<double>(storage.since_ms) / 1000.0);
  page.single("chat_storage_failed_writes_total", Type::counter, "Writes that failed for the storage's own reason.",
              storage.failed_writes);
  page.single("chat_storage_recoveries_total", Type::counter, "Times storage turned from failing back to ok.",
              storage.recoveries);

  if (const auto& checkpoints = s.checkpoints) {  // SQLite only: PostgreSQL keeps its own WAL
    page.family("chat_checkpoints_total", Type::counter,
                "WAL checkpoints run, by the background thread or by the committing writer.");
    page.sample("chat_checkpoints_total", checkpoints->background_passes, {{"thread", "background"}});
    page.sample("chat_checkpoints_total", checkpoints->writer_passes, {{"thread", "writer"}});
    page.single("chat_checkpoint_failures_total", Type::counter, "WAL checkpoints that failed (other than busy).",
                checkpoints->failures);
    page.single("chat_wal_pages", Type::gauge, "Pages in the write-ahead log after the latest commit.",
                checkpoints->wal_pages);
  }

  if (const auto& cluster = s.cluster) {  // a node of a cluster only
    const auto& link = cluster->link;
    const auto& delivery = cluster->delivery;
    page.family("chat_cluster_redis_connected", Type::gauge, "1 while the connection to Redis is up (and subscribed).");
    page.sample("chat_cluster_redis_connected", link.publisher_connected ? 1 : 0, {{"connection", "publisher"}});
    page.sample("chat_cluster_redis_connected", link.subscriber_connected ? 1 : 0, {{"connection", "subscriber"}});
    page.single("chat_cluster_redis_reconnects_total", Type::counter, "Connections to Redis made again after a loss.",
                link.reconnects);
    page.single("chat_cluster_published_total", Type::counter, "Frames of this node's messages Redis took.",
                link.published);
    page.single("chat_cluster_publish_failures_total", Type::counter,
                "Publications that failed (Redis down or too slow); the other nodes repair them.",
                link.publish_failures);
    page.single("chat_cluster_received_total", Type::counter, "Messages received on the cluster's channels.",
                link.received);
    page.family("chat_cluster_frames_total", Type::counter, "Frames of other nodes' messages, by how they were delivered.");
    page.sample("chat_cluster_frames_total", delivery.published_batches, {{"delivery", "in_order"}});
    page.sample("chat_cluster_frames_total", delivery.duplicate_batches, {{"delivery", "duplicate"}});
    page.sample("chat_cluster_frames_total", delivery.gaps_repaired, {{"delivery", "after_gap"}});
    page.single("chat_cluster_repaired_messages_total", Type::counter,
                "Messages read from the database because Redis had not brought them (gaps and catch-ups).",
                delivery.repaired_messages);
    page.single("chat_cluster_repair_failures_total", Type::counter,
                "Repairs the database could not serve at once (retried every cluster.repair_interval_ms).",
                delivery.repair_failures);
    page.single("chat_cluster_catch_up_notices_total", Type::counter,
                "Catch-up notices received: another node could not publish some of its messages.",
                cluster->catch_up_notices);
    page.single("chat_cluster_room_changes_total", Type::counter,
                "Room changes (new rooms, memberships, topics, roles, kicks, bans, invitations) received from other "
                "nodes and applied here.",
                cluster->room_changes);
    page.single("chat_cluster_direct_messages_total", Type::counter,
                "Direct messages received from other nodes for connections here.", cluster->direct_messages);
    page.single("chat_cluster_unreadable_total", Type::counter,
                "Messages on the cluster's channels that were not what their header said, or no frame: ignored.",
                cluster->unreadable);
    latency_histogram(page, "chat_cluster_relay_seconds",
                      "Time from another node's publication of a frame to its arrival here (by the two nodes' "
                      "clocks): the Redis lag.",
                      cluster->relay_latency);
  }
  if (const auto& node = s.cluster_node) {  // a node of a cluster only
    page.single("chat_cluster_nodes_expired_total", Type::counter,
                "Other nodes this one found without a heartbeat for cluster.node_timeout_ms and removed (their "
                "guests' names freed).",
                node->nodes_expired);
    page.single("chat_cluster_guest_names_lost_total", Type::counter,
                "Guests here whose names another took while this node was taken for dead.", node->names_lost);
    page.single("chat_cluster_heartbeat_failures_total", Type::counter,
                "Heartbeats (and the claims and expiries done with them) the database did not take.",
                node->heartbeat_failures);
  }

  page.family("chat_disconnects_total", Type::counter, "Chat connections closed, by reason.");
  for (std::size_t i = 0; i < kDisconnectReasonCount; ++i) {
    page.sample("chat_disconnects_total", s.disconnects[i],
                {{"reason", std::string(to_string(static_cast<DisconnectReason>(i)))}});
  }

  page.family("chat_logins_total", Type::counter, "Log-ins that succeeded, by kind.");
  page.sample("chat_logins_total", s.logged_in.accounts, {{"kind", "account"}});
  page.sample("chat_logins_total", s.logged_in.registrations, {{"kind", "registration"}});
  page.sample("chat_logins_total", s.logged_in.guests, {{"kind", "guest"}});
  page.single("chat_login_failures_total", Type::counter, "Log-ins refused for a wrong name or password.",
              s.logins.failures);
  page.single("chat_logins_throttled_total", Type::counter, "Log-ins refused while their name or address was locked.",
              s.logins.throttled);
  page.single("chat_logins_busy_total", Type::counter,
              "Log-ins refused because their address had too many password hashes queued.", s.logins.busy);
  page.single("chat_name_probes_refused_total", Type::counter,
              "Requests refused because their address asked too often whether names exist.", s.name_probes_refused);
}

void write_http_metrics(PrometheusText& page, const HttpStats::Snapshot& http) {
  page.single("chat_http_connections", Type::gauge, "Operator HTTP connections open now.", http.connections);
  page.single("chat_http_connections_accepted_total", Type::counter, "Operator HTTP connections served.",
              http.accepted);
  page.single("chat_http_connections_refused_total", Type::counter,
              "Operator HTTP connections refused at http.max_connections or http.max_connections_per_ip.",
              http.refused);
  page.single("chat_http_requests_total", Type::counter, "Operator HTTP requests answered.", http.requests);
  page.single("chat_http_bad_requests_total", Type::counter,
              "Operator HTTP requests refused for themselves (oversized headers, a method other than GET, a body, "
              "malformed).",
              http.bad_requests);
  page.single("chat_http_timeouts_total", Type::counter,
              "Operator HTTP connections cut because a request (or, over HTTPS, the TLS handshake) did not arrive "
              "within http.request_timeout_ms.",
              http.timeouts);
  page.single("chat_http_websocket_upgrades_total", Type::counter,
              "Operator HTTP connections upgraded to chat connections over a WebSocket (GET /ws).",
              http.websocket_upgrades);
}

}  // namespace chat
