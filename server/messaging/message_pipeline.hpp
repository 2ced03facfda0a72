#pragma once

#include <cstdint>
#include <chrono>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/latency_histogram.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/auth/identity.hpp"
#include "server/messaging/dedup_window.hpp"
#include "server/registry/room.hpp"
#include "server/net/session.hpp"
#include "server/storage/group_committer.hpp"
#include "server/storage/store.hpp"

namespace chat {

// A room's state in the pipeline, held by its Room (Room::outbox) so a send finds it without a
// lookup under a global lock: the committed messages waiting for their drain, and the room's
// de-duplication window. Thread-safety: each part under its own mutex, as noted.
class RoomOutbox {
 public:
  struct Pending {
    MessageRecord record;
    AppendOutcome outcome;
    ReplyHold sender;  // the sender's connection, which owes this request its reply until it is answered
    nlohmann::json request_id;
    std::chrono::steady_clock::time_point accepted_at;  // when send() took it: the start of its delivery time
  };

  explicit RoomOutbox(std::size_t window) : dedup(window) {}

  std::mutex broadcast_mutex;  // one drain (or quiet section) of the room at a time
  std::mutex pending_mutex;
  std::deque<Pending> pending;  // committed (or failed), not yet broadcast nor answered; pending_mutex
  bool drain_scheduled = false;  // pending_mutex
  std::mutex dedup_mutex;
  DedupWindow dedup;  // client ids of delivered messages only: a hit is safe to acknowledge at once; dedup_mutex
  bool dedup_loaded = false;  // dedup_mutex
};

// The path of a room message after its request was accepted:
//   send()       — under the room's ordering key: answer a retry of a message
//                  already delivered from the room's de-duplication window,
//                  otherwise hand the record to the group committer;
//   committed    — on the flushing thread, in commit order: the store gave it
//                  its seq (or found its client id stored before, or failed
//                  it); queue the outcome in the room's outbox;
//   drain        — a bus event under the room's key, once per batch: advance
//                  delivered_seq, broadcast every stored message once
//                  serialized, answer each sender.
// Nothing is acknowledged or broadcast before it is committed — a retry
// included: it is answered after its original commits — and a room's
// messages leave in seq order. A failed message takes no seq and nobody but
// its sender hears of it. Thread-safe.
//
// With other nodes writing to the same database (cluster.redis_url), a room's seqs interleave: each drain
// hands its frames to Options::on_broadcast (published to the other nodes), and the messages of other nodes
// arrive through deliver_published(). Both are delivered by one rule, under the room's broadcast lock: what
// continues delivered_seq goes out; what was delivered already is dropped; what would leave a gap is read
// from the store instead, from delivered_seq on. So members see every message once, in seq order, whichever
// node stored it and whatever Redis lost. What no later frame reveals (the last messages of a node that died
// before publishing them, a gap the store could not give at once) is found by catch_up(), which the cluster
// runs for every room behind the database, periodically.
class MessagePipeline {
 public:
  struct Options {
    std::size_t dedup_window = 1024;
    // After a drain's frame of stored messages [first, last] (contiguous seqs) is made, before it is delivered
    // here: the cluster publishes it to the other nodes. Runs under the room's broadcast lock.
    std::function<void(const Room& room, std::int64_t first, std::int64_t last, const std::string& lines)>
        on_broadcast;
  };
  // How messages of other nodes were delivered (cluster only; all zero on a server alone).
  struct ClusterCounters {
    std::uint64_t published_batches = 0;  // frames of other nodes taken in order
    std::uint64_t duplicate_batches = 0;  // frames of messages delivered already (read from the store first)
    std::uint64_t gaps_repaired = 0;      // frames of other nodes after a gap: the gap read from the store
    std::uint64_t repaired_messages = 0;  // messages read from the store to fill them (or to catch up)
    std::uint64_t repair_failures = 0;    // reads from the store that failed (the next catch-up tries again)
  };

  MessagePipeline(EventBus& bus, GroupCommitter& committer, Store& store, Options options);

  // Throws ProtocolError overloaded when the committer refuses the message (its backlog is full, or it is
  // closed): then nothing was stored and nothing will be answered later.
  void send(const RoomPtr& room, const Identity& sender, const SessionPtr& session, const nlohmann::json& request_id,
            std::string text, std::optional<std::string> client_id, MessageKind kind = MessageKind::text);

  // Publishes one drain for every room that received outcomes since the last call, so that a room's
  // messages of one commit batch leave together. The group committer calls it after each batch
  // (GroupCommitter::Options::after_batch), on the flushing thread.
  void after_commit_batch();

  // Runs `action` while no broadcast of the room runs, so that delivered_seq
  // stays put: a join subscribes and replays up to it without gap or
  // duplicate.
  // From send() taking a message to its broadcast to the room's members (queued on their connections):
  // the commit and the hand-offs around it. Stored messages only.
  LatencySummary delivery_latency() const noexcept { return delivery_latency_.summary(); }

  // A frame of another node's stored messages [first, last] (NDJSON msg lines, contiguous seqs) for the room's
  // members here; delivered in order on the pool under the room's key. Safe from any thread.
  void deliver_published(const RoomPtr& room, std::int64_t first, std::int64_t last, std::string lines);
  // Delivers from the store whatever the room's members have not had, up to the newest message; on the pool
  // under the room's key. For a room that another node wrote to while its news may have been lost.
  void catch_up(const RoomPtr& room);
  ClusterCounters cluster_counters() const noexcept;

  template <class Action>
  auto while_quiet(const RoomPtr& room, Action&& action) {
    std::lock_guard lock(outbox_of(*room).broadcast_mutex);
    return action();
  }

 private:
  using Pending = RoomOutbox::Pending;
  struct DrainRequest {
    RoomPtr room;
  };
  struct PublishedFrame {
    RoomPtr room;
    std::int64_t first = 0;
    std::int64_t last = 0;
    Frame frame;
  };
  struct CatchUpRequest {
    RoomPtr room;
  };

  // The room's outbox, made on first use.
  RoomOutbox& outbox_of(Room& room);
  // The seq of a delivered message with this client id, if the window holds it (loaded from the store on
  // first use). A miss is no verdict: the store's unique index recognises every retry at commit.
  std::optional<std::int64_t> find_delivered(RoomOutbox& outbox, const std::string& room, std::int64_t sender_id,
                                             const std::string& client_id);
  // On the flushing thread: queues the outcome in the room's outbox; the room's drain is published by
  // after_commit_batch().
  void on_committed(const RoomPtr& room, RoomOutbox& outbox, Pending pending);
  void publish_drain(DrainRequest request);
  void drain(const DrainRequest& request);
  // Broadcasts the batch's stored messages, in seq order, packed into few frames.
  void broadcast_stored(const RoomPtr& room, const std::deque<Pending>& batch);
  // Under the room's broadcast lock: the frame of messages [first, last] to the members, by the rule above.
  enum class Delivery { in_order, duplicate, from_store };
  Delivery deliver_in_order(const RoomPtr& room, std::int64_t first, std::int64_t last, const Frame& frame);
  // Under the room's broadcast lock: every stored message after delivered_seq up to `up_to` (nullopt: the
  // newest) to the members. A failure of the store is logged and counted; the members have what came before.
  void deliver_from_store(const RoomPtr& room, std::optional<std::int64_t> up_to);
  // Each sender's reply (ok with the seq, duplicate, or internal), in batch order; remembers the client ids.
  void answer_senders(RoomOutbox& outbox, const std::deque<Pending>& batch);
  // The sender's ok: with the message's ts when it was stored now, "duplicate" without one otherwise.
  static void append_acknowledgement(std::string& lines, const nlohmann::json& request_id, const std::string& room,
                                     std::int64_t seq, std::optional<std::int64_t> ts_ms);
  // Large enough to carry a batch to a member in one write, small against outbound limits.
  static constexpr std::size_t kBroadcastFrameBytes = 64 * 1024;
  // A msg line's bytes besides its strings: keys, quotes, seq, ts, a guest's flag (sizes a frame's buffer).
  static constexpr std::size_t kMsgLineOverhead = 110;
  // What an action's line adds: ,"kind":"action"
  static constexpr std::size_t kActionKindBytes = 16;

  EventBus& bus_;
  GroupCommitter& committer_;
  Store& store_;
  LatencyHistogram delivery_latency_;  // recorded by the drains of every room at once
  Options options_;
  // Rooms whose outbox got outcomes in the batch being completed. Touched only on the flushing thread,
  // and the committer runs one flush at a time.
  std::vector<DrainRequest> batch_drains_;
  struct AtomicClusterCounters {
    std::atomic<std::uint64_t> published_batches{0}, duplicate_batches{0}, gaps_repaired{0}, repaired_messages{0},
        repair_failures{0};
  } cluster_counters_;
  Subscription drain_subscription_;
  Subscription published_subscription_;
  Subscription catch_up_subscription_;
};

}  // namespace chat
