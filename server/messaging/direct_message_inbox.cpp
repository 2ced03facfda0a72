#include "server/messaging/direct_message_inbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <vector>

#include "server/cluster/cluster_node.hpp"
#include "server/dispatch/command.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/messaging/frame_budget.hpp"

namespace chat {

namespace {
constexpr std::size_t kPendingCountLimit = 1000;
constexpr std::size_t kPartRead = 256;  // messages read per part; the reply budget usually cuts it shorter
}  // namespace

DirectMessageInbox::DirectMessageInbox(EventBus& bus, Store& store, UserRegistry& users, const ClusterNode* cluster)
    : bus_(bus), store_(store), users_(users), cluster_(cluster) {
  published_subscription_ = bus_.subscribe<Published>(
      [this](const Published& message) { push(message.to, message.id, message.frame); }, Priority::Normal);
  catch_up_subscription_ =
      bus_.subscribe<CatchUp>([this](const CatchUp& catch_up) { push_waiting(catch_up); }, Priority::Low);
  delivery_subscription_ = bus_.subscribe<PendingDelivery>(
      [this](const PendingDelivery& delivery) { deliver_pending(delivery); }, Priority::Normal);
  departure_subscription_ =
      bus_.subscribe<GuestGone>([this](const GuestGone& gone) { discard(gone); }, Priority::Normal);
}

std::optional<DirectMessageInbox::Recipient> DirectMessageInbox::find_recipient(const std::string& name) const {
  // Online first: a guest exists only there, and an account online needs no database read.
  if (const auto online = users_.find(name)) return Recipient{online->id, name};
  if (const auto account = store_.find_user(name)) return Recipient{account->id, name};
  if (cluster_) {
    if (const auto guest = cluster_->guest_named(name)) return Recipient{*guest, name};
  }
  return std::nullopt;
}

StoredDirectMessage DirectMessageInbox::send(const Identity& from, const Recipient& to, std::string text,
                                             std::optional<std::string> client_id, MessageKind kind) {
  DirectMessageRecord record{0, from.user, from.id, to.name, to.id, CommandContext::now_ms(),
                             std::move(text), std::move(client_id), kind};
  auto stored = store_.store_direct_message(std::move(record));
  if (stored.duplicate) return stored;
  const auto frame = dm_event(stored.message);
  // Out to the other nodes first: a failure to mark it delivered here must not keep it from them (a retry of
  // the cid finds it stored and publishes nothing).
  if (publish_) publish_(to, stored.message.id, frame);
  push(to, stored.message.id, frame);
  return stored;
}

bool DirectMessageInbox::offer(const Recipient& to, std::int64_t id, const Frame& frame) {
  bool queued = false;
  for (const auto& session : users_.inbox_sessions_of(to.name, to.id, id)) queued = session->deliver(frame) || queued;
  return queued;
}

void DirectMessageInbox::push(const Recipient& to, std::int64_t id, const Frame& frame) {
  if (offer(to, id, frame)) store_.mark_delivered(to.id, std::array{id});
}

void DirectMessageInbox::deliver_published(Recipient to, std::int64_t id, Frame frame) {
  // The recipient is not here: nothing to do. (Online, its inbox maybe not open yet: the backlog delivery under
  // the same key goes first, and a session that had the message with it is not given it again.)
  const auto holder = users_.find(to.name);
  if (!holder || holder->id != to.id) return;
  const auto key = ordering_key(to.name);
  // Refused (overloaded or stopping): the message waits in the database for the recipient's next log-in, unless
  // a connection on another node took it.
  (void)bus_.publish(Published{std::move(to), id, std::move(frame)}, PublishOptions{key, Priority::Normal, {}});
}

std::size_t DirectMessageInbox::pending_count(std::int64_t principal) const {
  return store_.count_undelivered_direct_messages(principal, kPendingCountLimit);
}

void DirectMessageInbox::deliver_pending_later(const SessionPtr& session, const Identity& identity) {
  schedule(PendingDelivery{session, identity.user, identity.id});
}

void DirectMessageInbox::forget_guest(const Identity& guest) {
  const GuestGone gone{guest.user, guest.id};
  if (!bus_.publish(gone, PublishOptions{ordering_key(gone.user), Priority::Normal, {}}).ok()) {
    discard(gone);  // refused (overloaded or stopping): nobody can address the guest any more, so now is safe
  }
}

void DirectMessageInbox::discard(const GuestGone& gone) {
  try {
    store_.discard_undelivered_direct_messages(gone.principal);
  } catch (const std::exception& e) {
    // Nobody can read them (no one else is ever this principal); the next start discards them.
    spdlog::error("user={} discarding direct messages that waited for the guest failed: {}", gone.user, e.what());
  }
}

void DirectMessageInbox::schedule(const PendingDelivery& delivery) {
  if (!bus_.publish(delivery, PublishOptions{ordering_key(delivery.user), Priority::Normal, {}}).ok()) {
    // The pool refused (overloaded or stopping): deliver here rather than leave the inbox closed. Outside the
    // user's key a live message may then wait for the next log-in; it is not lost.
    deliver_pending(delivery);
  }
}

void DirectMessageInbox::catch_up(const std::string& user) {
  // Refused (overloaded or stopping): what waits is delivered at the recipient's next log-in.
  (void)bus_.publish(CatchUp{user}, PublishOptions{ordering_key(user), Priority::Low, {}});
}

void DirectMessageInbox::catch_up_all() {
  for (const auto& user : users_.list()) catch_up(user.name);
}

void DirectMessageInbox::push_waiting(const CatchUp& catch_up) {
  const auto holder = users_.find(catch_up.user);
  if (!holder) return;
  const Recipient to{holder->id, catch_up.user};
  try {
    std::vector<std::int64_t> queued;
    for (const auto& message : store_.undelivered_direct_messages(holder->id, kPartRead)) {
      if (offer(to, message.id, dm_event(message))) queued.push_back(message.id);
    }
    store_.mark_delivered(holder->id, queued);
  } catch (const std::exception& e) {
    spdlog::warn("user={} delivering the direct messages Redis lost failed: {}", catch_up.user, e.what());
  }
}

void DirectMessageInbox::deliver_pending(const PendingDelivery& delivery) {
  const auto& session = delivery.session;
  const auto identity = session->identity();
  if (session->is_closed() || !identity || identity->id != delivery.principal) return;  // gone, or logged out
  std::vector<std::int64_t> queued;
  std::int64_t through = delivery.through;
  bool dropped = false;
  std::vector<DirectMessageRecord> messages;
  FrameBudget budget(session->reply_budget(), /*min_frames=*/1);
  try {
    messages = store_.undelivered_direct_messages(delivery.principal, kPartRead);
    for (const auto& message : messages) {
      auto frame = dm_event(message);
      if (!budget.take(frame_cost(*frame))) break;
      if (!session->deliver(std::move(frame))) {
        dropped = true;  // closed, or cut as a slow consumer: the rest waits for the next log-in
        break;
      }
      queued.push_back(message.id);
    }
    store_.mark_delivered(delivery.principal, queued);
    if (!queued.empty()) through = std::max(through, queued.back());
  } catch (const std::exception& e) {
    // What was queued but not marked comes again at the next log-in: twice rather than never.
    spdlog::error("conn={} user={} delivering waiting direct messages failed: {}", session->connection_id(),
                  delivery.user, e.what());
    return;
  }
  if (dropped) return;
  if (budget.exhausted() || messages.size() == kPartRead) {
    // More waits: the next part once the client has read this one, still under the user's key.
    auto next = delivery;
    next.through = through;
    session->when_drained([this, next] { schedule(next); });
    return;
  }
  users_.open_inbox(delivery.user, session->connection_id(), through);
}

}  // namespace chat
