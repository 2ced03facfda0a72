#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/concurrency/event_bus.hpp"
#include "server/registry/user_registry.hpp"
#include "server/session.hpp"
#include "server/storage/store.hpp"

namespace chat {

// Direct messages: stored first, then pushed to the recipient's connections,
// or kept until one can take them. A message is marked delivered only once it
// was queued to a live connection — exactly that message, never "everything
// up to it" — so a message dropped on its way (the connection closed, or its
// queue was full) waits for the next log-in instead of being lost.
//
// Order: sends and log-in deliveries for one recipient run under the same
// ordering key ("user:<name>"). A connection that logs in gets what waited
// first, then its inbox opens (UserRegistry::open_inbox) and live messages
// follow; a message sent meanwhile is not pushed to it but read with the
// backlog, so none overtakes an older one. Thread-safe.
class DirectMessageInbox {
 public:
  DirectMessageInbox(EventBus& bus, Store& store, UserRegistry& users);

  static std::string ordering_key(const std::string& user) { return "user:" + user; }

  // Under the recipient's key. Stores the message and pushes it to every
  // connection of the recipient whose inbox is open. Returns the stored
  // message (a retried cid returns the original).
  StoredDirectMessage send(const std::string& from, const std::string& to, std::string text,
                           std::optional<std::string> client_id);

  // How many messages wait for `user` (counted up to 1000).
  std::size_t pending_count(const std::string& user) const;
  // After a log-in: under the user's key, delivers what waited for `user` to
  // `session` — in parts that each fit its reply budget, the next once the
  // client has read the last — then opens the session's inbox.
  void deliver_pending_later(const SessionPtr& session, const std::string& user);

 private:
  struct PendingDelivery {
    SessionPtr session;
    std::string user;
  };
  void schedule(const PendingDelivery& delivery);
  void deliver_pending(const PendingDelivery& delivery);

  EventBus& bus_;
  Store& store_;
  UserRegistry& users_;
  Subscription subscription_;
};

}  // namespace chat
