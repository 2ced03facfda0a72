#include "server/messaging/message_pipeline.hpp"

#include <spdlog/spdlog.h>

#include "common/json_object_writer.hpp"
#include "common/protocol_error.hpp"
#include "server/dispatch/command.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/messaging/storage_refusal.hpp"

namespace chat {

MessagePipeline::MessagePipeline(EventBus& bus, GroupCommitter& committer, Store& store, Options options)
    : bus_(bus), committer_(committer), store_(store), options_(options) {
  drain_subscription_ =
      bus_.subscribe<DrainRequest>([this](const DrainRequest& request) { drain(request); }, Priority::High);
  published_subscription_ = bus_.subscribe<PublishedFrame>(
      [this](const PublishedFrame& published) {
        std::lock_guard lock(outbox_of(*published.room).broadcast_mutex);
        auto& counters = cluster_counters_;
        switch (deliver_in_order(published.room, published.first, published.last, published.frame)) {
          case Delivery::in_order: counters.published_batches.fetch_add(1, std::memory_order_relaxed); break;
          case Delivery::duplicate: counters.duplicate_batches.fetch_add(1, std::memory_order_relaxed); break;
          case Delivery::from_store: counters.gaps_repaired.fetch_add(1, std::memory_order_relaxed); break;
        }
      },
      Priority::High);
  catch_up_subscription_ = bus_.subscribe<CatchUpRequest>(
      [this](const CatchUpRequest& request) {
        std::lock_guard lock(outbox_of(*request.room).broadcast_mutex);
        deliver_from_store(request.room, std::nullopt);
      },
      Priority::High);
}

RoomOutbox& MessagePipeline::outbox_of(Room& room) {
  return *room.outbox([this] { return std::make_shared<RoomOutbox>(options_.dedup_window); });
}

std::optional<std::int64_t> MessagePipeline::find_delivered(RoomOutbox& outbox, const std::string& room,
                                                             std::int64_t sender_id, const std::string& client_id) {
  if (!outbox.dedup_loaded) {
    // Everything stored before this first send with a client id was delivered (at the latest by the restart).
    for (const auto& ref : store_.recent_client_messages(room, options_.dedup_window)) {
      outbox.dedup.remember(ref.sender_id, ref.client_id, ref.seq);
    }
    outbox.dedup_loaded = true;
  }
  return outbox.dedup.find(sender_id, client_id);
}

void MessagePipeline::send(const RoomPtr& room, const Identity& sender, const SessionPtr& session,
                           const nlohmann::json& request_id, std::string text, std::optional<std::string> client_id,
                           MessageKind kind) {
  RoomOutbox& outbox = outbox_of(*room);
  if (client_id) {
    std::lock_guard dedup_lock(outbox.dedup_mutex);
    if (const auto seq = find_delivered(outbox, room->name(), sender.id, *client_id)) {
      std::string line;
      append_acknowledgement(line, request_id, room->name(), *seq, std::nullopt);
      session->deliver(make_frame(std::move(line)));
      return;
    }
  }

  // While storage fails every commit would fail: refuse at once, say why, and spare the disk the attempt.
  // The store's recovery pass (Server) ends this.
  if (store_.writes_failing()) throw ProtocolError(ErrorCode::Internal, storage_refusal(store_.health()));

  Pending pending;
  pending.record = MessageRecord{room->name(), 0, sender.user, sender.id, CommandContext::now_ms(),
                                 std::move(text), std::move(client_id), kind};
  pending.sender = ReplyHold(session);
  pending.request_id = request_id;
  pending.accepted_at = std::chrono::steady_clock::now();

  MessageRecord record = pending.record;
  const auto admission = committer_.append(
      // The outbox is the room's, kept alive by the captured RoomPtr.
      std::move(record),
      [this, room, outbox = &outbox, pending = std::move(pending)](const AppendOutcome& outcome) mutable {
        pending.outcome = outcome;
        on_committed(room, *outbox, std::move(pending));
      });
  switch (admission) {
    case GroupCommitter::Admission::accepted:
      return;
    case GroupCommitter::Admission::backlog_full:
      throw ProtocolError(ErrorCode::Overloaded, "too many messages wait for storage; retry later");
    case GroupCommitter::Admission::closed:
      throw ProtocolError(ErrorCode::Overloaded, "the server is shutting down");
  }
}

void MessagePipeline::on_committed(const RoomPtr& room, RoomOutbox& outbox, Pending pending) {
  {
    std::lock_guard lock(outbox.pending_mutex);
    outbox.pending.push_back(std::move(pending));
    if (outbox.drain_scheduled) return;
    outbox.drain_scheduled = true;
  }
  batch_drains_.push_back(DrainRequest{room});
}

void MessagePipeline::after_commit_batch() {
  // Published only now, not at a room's first outcome: a worker would pick the drain up at once and
  // take that one message, leaving the rest of the batch to further drains, frames and writes. Not
  // broadcast here, on the flushing thread, either: that measured slower with many rooms, whose drains
  // run in parallel on the workers while the next batch commits (docs/benchmarks.md).
  for (auto& request : batch_drains_) publish_drain(std::move(request));
  batch_drains_.clear();
}

void MessagePipeline::publish_drain(DrainRequest request) {
  const std::string& key = request.room->name();
  if (!bus_.publish(request, PublishOptions{key, Priority::High, {}}).ok()) {
    // The pool refused (overloaded or stopping): broadcast here rather than
    // leave committed messages unseen. broadcast_mutex keeps the room's order.
    drain(request);
  }
}

void MessagePipeline::drain(const DrainRequest& request) {
  RoomOutbox& outbox = outbox_of(*request.room);
  std::lock_guard broadcast_lock(outbox.broadcast_mutex);
  std::deque<Pending> batch;
  {
    std::lock_guard lock(outbox.pending_mutex);
    batch.swap(outbox.pending);
    outbox.drain_scheduled = false;
  }
  broadcast_stored(request.room, batch);
  answer_senders(outbox, batch);
}

void MessagePipeline::deliver_published(const RoomPtr& room, std::int64_t first, std::int64_t last,
                                        std::string lines) {
  // A frame the pool refuses (overloaded or stopping) is in the store: the next catch-up delivers it.
  (void)bus_.publish(PublishedFrame{room, first, last, make_frame(std::move(lines))},
                     PublishOptions{room->name(), Priority::High, {}});
}

void MessagePipeline::catch_up(const RoomPtr& room) {
  (void)bus_.publish(CatchUpRequest{room}, PublishOptions{room->name(), Priority::High, {}});
}

MessagePipeline::ClusterCounters MessagePipeline::cluster_counters() const noexcept {
  ClusterCounters counters;
  counters.published_batches = cluster_counters_.published_batches.load(std::memory_order_relaxed);
  counters.duplicate_batches = cluster_counters_.duplicate_batches.load(std::memory_order_relaxed);
  counters.gaps_repaired = cluster_counters_.gaps_repaired.load(std::memory_order_relaxed);
  counters.repaired_messages = cluster_counters_.repaired_messages.load(std::memory_order_relaxed);
  counters.repair_failures = cluster_counters_.repair_failures.load(std::memory_order_relaxed);
  return counters;
}

MessagePipeline::Delivery MessagePipeline::deliver_in_order(const RoomPtr& room, std::int64_t first,
                                                            std::int64_t last, const Frame& frame) {
  const std::int64_t delivered = room->delivered_seq();
  if (last <= delivered) return Delivery::duplicate;
  if (first == delivered + 1) {
    // Advanced before the broadcast and the replies, so that a reader told of seq N (the sender's next history
    // read, a join's replay) finds it.
    room->set_delivered_seq(last);
    room->broadcast(frame);
    return Delivery::in_order;
  }
  // Something is missing before it (a message of another node that has not arrived, or that Redis lost), or
  // part of it was delivered already: the store has all of it.
  deliver_from_store(room, last);
  return Delivery::from_store;
}

void MessagePipeline::deliver_from_store(const RoomPtr& room, std::optional<std::int64_t> up_to) {
  constexpr std::size_t kPage = 512;
  try {
    for (;;) {
      const std::int64_t after = room->delivered_seq();
      if (up_to && after >= *up_to) return;
      const auto page = store_.history(room->name(), up_to ? std::optional(*up_to + 1) : std::nullopt, after, kPage);
      if (page.empty()) return;
      std::string frame;
      std::int64_t expected = after + 1;
      for (const auto& message : page) {
        if (message.seq != expected) {
          // A room's seqs have no holes once committed (they are given under its row's lock, and a reader sees
          // every commit before the one it sees): none is skipped here; the next catch-up reads again.
          spdlog::error("room={} seq {} is not in the store, seq {} is: delivery stops before it until it is",
                        room->name(), expected, message.seq);
          break;
        }
        append_msg_line(frame, message, message.seq);
        expected = message.seq + 1;
        if (frame.size() >= kBroadcastFrameBytes) {
          room->set_delivered_seq(message.seq);
          room->broadcast(make_frame(std::exchange(frame, {})));
        }
      }
      if (!frame.empty()) {
        room->set_delivered_seq(expected - 1);
        room->broadcast(make_frame(std::move(frame)));
      }
      const auto delivered = static_cast<std::uint64_t>(expected - 1 - after);
      cluster_counters_.repaired_messages.fetch_add(delivered, std::memory_order_relaxed);
      if (page.size() < kPage || delivered < page.size()) return;
    }
  } catch (const std::exception& e) {
    cluster_counters_.repair_failures.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("room={} cannot read the messages its members miss (after seq {}): {}; the next catch-up "
                 "tries again",
                 room->name(), room->delivered_seq(), e.what());
  }
}

void MessagePipeline::broadcast_stored(const RoomPtr& room, const std::deque<Pending>& batch) {
  // Every stored message of the batch goes to every member in as few frames as possible: one
  // deliver() and, usually, one write per member for the whole batch instead of one per message.
  // Frames stay below kBroadcastFrameBytes so that a large batch cannot fill a member's
  // outbound queue at once. A frame holds consecutive seqs only: another node's message between two of
  // ours ends one frame and starts the next (deliver_in_order then finds it in the store).
  const auto now = std::chrono::steady_clock::now();
  for (const Pending& pending : batch) {
    if (pending.outcome.status == AppendOutcome::Status::stored) delivery_latency_.record_shared(now - pending.accepted_at);
  }
  std::string frame;
  std::int64_t frame_first_seq = 0;
  std::int64_t frame_last_seq = 0;
  const auto flush = [&] {
    if (frame.empty()) return;
    if (options_.on_broadcast) options_.on_broadcast(*room, frame_first_seq, frame_last_seq, frame);
    // make_frame trims a buffer grown past its text (by the line that overfilled it): a member's queue
    // counts a frame by its buffer.
    deliver_in_order(room, frame_first_seq, frame_last_seq, make_frame(std::move(frame)));
    frame.clear();
  };
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Pending& pending = batch[i];
    if (pending.outcome.status != AppendOutcome::Status::stored) continue;
    const std::int64_t seq = pending.outcome.seq;
    if (!frame.empty() && seq != frame_last_seq + 1) flush();
    if (frame.empty()) {
      // Sized once, from this message, not grown by doubling: the messages of one batch are much alike.
      const auto& record = pending.record;
      const std::size_t estimate = record.text.size() + record.sender.size() + record.room.size() +
                                   (record.client_id ? record.client_id->size() : 0) + kMsgLineOverhead +
                                   (record.kind == MessageKind::action ? kActionKindBytes : 0);
      frame.reserve(std::min(kBroadcastFrameBytes, (batch.size() - i) * estimate));
      frame_first_seq = seq;
    }
    const std::size_t before = frame.size();
    append_msg_line(frame, pending.record, seq);
    if (before > 0 && frame.size() > kBroadcastFrameBytes) {
      // This line would overfill the frame: it starts the next one instead.
      std::string next(frame, before);
      frame.resize(before);
      flush();
      frame = std::move(next);
      frame_first_seq = seq;
    }
    frame_last_seq = seq;
  }
  flush();
}

void MessagePipeline::append_acknowledgement(std::string& lines, const nlohmann::json& request_id,
                                             const std::string& room, std::int64_t seq,
                                             std::optional<std::int64_t> ts_ms) {
  // {"type":"ok","op":"send",...} written directly: one per message. Keys in ascending order, as
  // ok_reply()'s document would have them.
  JsonObjectWriter reply(lines);
  if (!ts_ms) reply.boolean("duplicate", true);
  if (!request_id.is_null()) reply.json("id", request_id);
  reply.string("op", "send");
  reply.string("room", room);
  reply.integer("seq", seq);
  if (ts_ms) reply.integer("ts", *ts_ms);
  reply.string("type", "ok");
  reply.end_line();
}

void MessagePipeline::answer_senders(RoomOutbox& outbox, const std::deque<Pending>& batch) {
  // A sender's acknowledgements in a row go out as one frame: a client's pipelined sends are answered
  // together, in one write, rather than the first alone while the others are still being queued (its next
  // sends would then arrive, and commit, piecemeal too).
  std::string lines;
  const SessionPtr* lines_for = nullptr;  // whose lines they are
  const auto flush = [&] {
    if (!lines.empty()) (*lines_for)->deliver(make_frame(std::exchange(lines, {})));
  };
  for (const Pending& pending : batch) {
    const auto& record = pending.record;
    const auto& outcome = pending.outcome;
    const auto& session = pending.sender.session();
    if (lines_for && *lines_for != session) flush();
    lines_for = &session;
    if (outcome.status == AppendOutcome::Status::failed) {
      // Nobody else hears of it, and it took no seq: the room's next message gets the one it would have had.
      // When storage fails, the store logged it once; a line per message of each failed batch would flood the
      // log.
      const bool storage_fails = store_.writes_failing();
      spdlog::log(storage_fails ? spdlog::level::debug : spdlog::level::err,
                  "conn={} user={} room={} message not stored: {}", session->connection_id(), record.sender,
                  record.room, outcome.error);
      lines += to_line(error_reply(ErrorCode::Internal,
                                   storage_fails ? storage_refusal(store_.health())
                                                 : std::string("the message could not be stored; retry"),
                                   "send", pending.request_id));
      continue;
    }
    if (record.client_id) {
      std::lock_guard dedup_lock(outbox.dedup_mutex);
      outbox.dedup.remember(record.sender_id, *record.client_id, outcome.seq);
    }
    const bool stored = outcome.status == AppendOutcome::Status::stored;
    append_acknowledgement(lines, pending.request_id, record.room, outcome.seq,
                           stored ? std::optional(record.ts_ms) : std::nullopt);
  }
  if (lines_for) flush();
}

}  // namespace chat
