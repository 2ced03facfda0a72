#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "common/latency_histogram.hpp"
#include "server/cluster/redis_link.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/messaging/direct_message_inbox.hpp"
#include "server/messaging/message_pipeline.hpp"
#include "server/messaging/room_changes.hpp"
#include "server/messaging/room_presence.hpp"
#include "server/registry/room_registry.hpp"
#include "server/server_config.hpp"
#include "server/storage/store.hpp"

namespace chat {

// This node's share of a cluster (cluster.redis_url): every frame of room messages this node commits is
// published on the room's channel, and the frames of the other nodes go to MessagePipeline::deliver_published,
// which keeps each room's seq order and reads from the database whatever Redis did not bring. Redis is only
// the fast path: the database stays the truth, so anything lost on the way is repaired —
//   - after the subscription is made again (Redis restarted, the connection cut): every room behind the
//     database's last seq is caught up;
//   - after this node's publications failed: a catch-up notice on each of those rooms' channels, once Redis
//     takes publications again, tells the other nodes to read them;
//   - every cluster.repair_interval_ms, one query reads each room's last seq from the database, and a room
//     whose last seq at the previous sweep is still not delivered here is caught up: this finds what nothing
//     else would reveal, such as the last messages of a node killed before it published them, or a notice
//     that was itself lost, within two intervals.
//
// The rooms' changes (RoomChanges: created, memberships, topics, roles, kicks, bans, invitations) go the same
// way, so that a ban keeps its place among the room's messages; what Redis loses of them is repaired by
// RoomChanges::reconcile, asked for every room after a subscription, for the rooms of a catch-up notice, and for
// a room the sweep finds in the database but not here.
//
// While the subscription is down, the sweep also reconciles every room with connections here, so that a ban
// or a kick made on another node meanwhile takes effect here within an interval, not only once Redis is back.
//
// Presence (RoomPresence): a user's first connection here joining a room and its last one going are published on
// the room's channel as they happen, and every third of cluster.node_timeout_ms each room's whole set of users
// online here (and once an empty one, when the last went); what other nodes report is forgotten once older than
// the timeout.
//
// Direct messages: each one stored here goes on the recipient's channel, and a node with connections of the
// recipient pushes it to them (DirectMessageInbox::deliver_published). One Redis lost stays in the database
// for the recipient's next log-in, unless a connection of the recipient took it on the sender's node.
//
// Channels: <channel_prefix>room:<canonical room name>, <channel_prefix>user:<canonical user name>. On a room's
// channel: a JSON header line {"node":..., "first":N, "last":M, "ms":...} followed by the msg lines of seqs
// N..M; or the header {"node":..., "catch_up":true} alone; or {"node":..., "change":{...}}
// (RoomChange::to_json); or {"node":..., "presence":{"user":..., "online":true|false}}; or
// {"node":..., "online":[users]}. On a user's: {"node":..., "to_id":P, "dm_id":N} and the dm event's line.
//
// Thread-safety: publish() from any thread (the pipeline calls it from drains); stats() from any thread.
class ClusterRelay {
 public:
  struct Stats {
    std::string node;
    RedisLink::Stats link;
    MessagePipeline::ClusterCounters delivery;
    LatencySummary relay_latency;  // from a frame's publication to its arrival here (wall clocks of two nodes)
    std::uint64_t catch_up_notices = 0;  // received
    std::uint64_t room_changes = 0;      // received from other nodes and applied here
    std::uint64_t direct_messages = 0;   // received from other nodes for connections here
    std::uint64_t unreadable = 0;        // messages on our channels that are no frame: ignored
  };

  // `node`: this node's id (ClusterNode), which marks what it publishes.
  ClusterRelay(boost::asio::io_context& io, const ServerConfig::Cluster& config, std::string node, EventBus& bus,
               RoomRegistry& rooms, Store& store, MessagePipeline& messages, RoomChanges& room_changes,
               RoomPresence& presence, DirectMessageInbox& inbox);
  ~ClusterRelay();

  void start();
  // Stops publishing and receiving; what is committed after is repaired by the other nodes from the database.
  void stop();

  // MessagePipeline::Options::on_broadcast.
  void publish(const Room& room, std::int64_t first, std::int64_t last, const std::string& lines);
  // RoomChanges' publisher: on the room's channel, so that it keeps its place among the room's messages.
  void publish_change(const RoomChange& change);
  // RoomPresence's publisher.
  void publish_presence(const Room& room, const std::string& user, bool online);
  // DirectMessageInbox's publisher: on the recipient's channel.
  void publish_direct_message(const DirectMessageInbox::Recipient& to, std::int64_t id, const Frame& frame);

  Stats stats() const;

 private:
  struct CatchUpAll {
    bool at_once = false;  // every room behind now, not only those behind since the previous sweep
  };
  struct PresenceRound {};
  struct PresenceReport {
    std::string room;
  };
  using Clock = std::chrono::steady_clock;

  std::string channel_of(std::string_view room) const;
  void on_message(std::string_view channel, std::string_view payload);
  // After on_message checked the header: what follows it on a room's channel, on a user's.
  void on_room_message(std::string_view room, const nlohmann::json& header, std::string_view lines);
  void on_direct_message(std::string_view user, const nlohmann::json& header, std::string_view line);
  void on_subscribed();
  void on_unpublished(const std::vector<std::string>& channels);
  // On the pool: every room whose last seq in the database (at_once: now; else at the previous sweep) is past
  // what was delivered here.
  void catch_up_all(bool at_once);
  void schedule_repair();
  // On the pool: every room's whole set of users online here out, other nodes' stale reports forgotten.
  void presence_round();
  // Under the room's key: its whole set of users online here out.
  void report_presence(const std::string& room);
  void schedule_presence();

  const std::string config_prefix_;  // <channel_prefix>: the subscription's pattern is it and *
  const std::string prefix_;       // <channel_prefix>room:
  const std::string user_prefix_;  // <channel_prefix>user:
  const std::string node_;         // to skip our own publications when they come back
  std::string redis_;         // host:port, for logs
  const std::chrono::milliseconds repair_interval_;
  EventBus& bus_;
  RoomRegistry& rooms_;
  Store& store_;
  MessagePipeline& messages_;
  RoomChanges& room_changes_;
  RoomPresence& presence_;
  DirectMessageInbox& inbox_;
  const std::chrono::milliseconds node_timeout_;
  LatencyHistogram relay_latency_;
  std::atomic<std::uint64_t> catch_up_notices_{0};
  std::atomic<std::uint64_t> room_changes_received_{0};
  std::atomic<std::uint64_t> direct_messages_received_{0};
  std::atomic<std::uint64_t> unreadable_{0};
  Subscription catch_up_all_subscription_;
  Subscription presence_round_subscription_;
  Subscription presence_report_subscription_;
  std::atomic<Clock::time_point> subscribed_since_{};
  boost::asio::steady_timer repair_timer_;
  boost::asio::steady_timer presence_timer_;
  std::atomic<bool> presence_round_pending_{false};
  std::mutex reported_mutex_;
  std::unordered_set<std::string> reported_;  // rooms (canonical) whose last whole report was not empty
  std::atomic<bool> stopped_{false};
  std::atomic<bool> catch_up_pending_{false};  // a periodic sweep is queued or running
  std::mutex sweep_mutex_;
  std::unordered_map<std::string, std::int64_t> last_seen_;  // room -> its last seq at the previous sweep
  std::unique_ptr<RedisLink> link_;  // last: its handlers use the members above
};

}  // namespace chat
