#include "server/direct_message_inbox.hpp"

#include "server/command.hpp"
#include "server/event_frames.hpp"

namespace chat {

namespace {
constexpr std::size_t kPendingBatch = 1000;
}

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
  const auto sessions = users_.sessions_of(to);
  if (!sessions.empty()) {
    const auto frame = dm_event(stored.message);
    for (const auto& session : sessions) session->deliver(frame);
    store_.mark_delivered(to, stored.message.id);
  }
  return stored;
}

std::size_t DirectMessageInbox::pending_count(const std::string& user) const {
  return store_.undelivered_direct_messages(user, kPendingBatch).size();
}

void DirectMessageInbox::deliver_pending_later(const SessionPtr& session, const std::string& user) {
  PendingDelivery delivery{session, user};
  if (!bus_.publish(delivery, PublishOptions{ordering_key(user), Priority::Normal, {}}).ok()) {
    deliver_pending(delivery);
  }
}

void DirectMessageInbox::deliver_pending(const PendingDelivery& delivery) {
  for (;;) {
    const auto messages = store_.undelivered_direct_messages(delivery.user, kPendingBatch);
    if (messages.empty() || delivery.session->is_closed()) return;
    for (const auto& message : messages) delivery.session->deliver(dm_event(message));
    store_.mark_delivered(delivery.user, messages.back().id);
    if (messages.size() < kPendingBatch) return;
  }
}

}  // namespace chat
