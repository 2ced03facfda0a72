#include "server/direct_message_inbox.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <vector>

#include "server/command.hpp"
#include "server/event_frames.hpp"
#include "server/frame_budget.hpp"

namespace chat {

namespace {
constexpr std::size_t kPendingCountLimit = 1000;
constexpr std::size_t kPartRead = 256;  // messages read per part; the reply budget usually cuts it shorter
}  // namespace

DirectMessageInbox::DirectMessageInbox(EventBus& bus, Store& store, UserRegistry& users)
    : bus_(bus), store_(store), users_(users) {
  subscription_ = bus_.subscribe<PendingDelivery>(
      [this](const PendingDelivery& delivery) { deliver_pending(delivery); }, Priority::Normal);
}

StoredDirectMessage DirectMessageInbox::send(const std::string& from, const std::string& to, std::string text,
                                             std::optional<std::string> client_id) {
  DirectMessageRecord record{0, from, to, CommandContext::now_ms(), std::move(text), std::move(client_id)};
  auto stored = store_.store_direct_message(std::move(record));
  if (stored.duplicate) return stored;
  const auto frame = dm_event(stored.message);
  bool queued = false;
  for (const auto& session : users_.inbox_sessions_of(to)) queued = session->deliver(frame) || queued;
  if (queued) store_.mark_delivered(to, std::array{stored.message.id});
  return stored;
}

std::size_t DirectMessageInbox::pending_count(const std::string& user) const {
  return store_.undelivered_direct_messages(user, kPendingCountLimit).size();
}

void DirectMessageInbox::deliver_pending_later(const SessionPtr& session, const std::string& user) {
  schedule(PendingDelivery{session, user});
}

void DirectMessageInbox::schedule(const PendingDelivery& delivery) {
  if (!bus_.publish(delivery, PublishOptions{ordering_key(delivery.user), Priority::Normal, {}}).ok()) {
    // The pool refused (overloaded or stopping): deliver here rather than leave the inbox closed. Outside the
    // user's key a live message may then wait for the next log-in; it is not lost.
    deliver_pending(delivery);
  }
}

void DirectMessageInbox::deliver_pending(const PendingDelivery& delivery) {
  const auto& session = delivery.session;
  const auto identity = session->identity();
  if (session->is_closed() || !identity || identity->user != delivery.user) return;  // gone, or logged out
  std::vector<std::int64_t> queued;
  bool dropped = false;
  std::vector<DirectMessageRecord> messages;
  FrameBudget budget(session->reply_budget(), /*min_frames=*/1);
  try {
    messages = store_.undelivered_direct_messages(delivery.user, kPartRead);
    for (const auto& message : messages) {
      auto frame = dm_event(message);
      if (!budget.take(frame_cost(*frame))) break;
      if (!session->deliver(std::move(frame))) {
        dropped = true;  // closed, or cut as a slow consumer: the rest waits for the next log-in
        break;
      }
      queued.push_back(message.id);
    }
    store_.mark_delivered(delivery.user, queued);
  } catch (const std::exception& e) {
    // What was queued but not marked comes again at the next log-in: twice rather than never.
    spdlog::error("conn={} user={} delivering waiting direct messages failed: {}", session->connection_id(),
                  delivery.user, e.what());
    return;
  }
  if (dropped) return;
  if (budget.exhausted() || messages.size() == kPartRead) {
    // More waits: the next part once the client has read this one, still under the user's key.
    session->when_drained([this, delivery] { schedule(delivery); });
    return;
  }
  users_.open_inbox(delivery.user, session->connection_id());
}

}  // namespace chat
