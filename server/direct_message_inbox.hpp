#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "server/concurrency/event_bus.hpp"
#include "server/registry/user_registry.hpp"
#include "server/session.hpp"
#include "server/storage/store.hpp"

namespace chat {

// Direct messages: stored first, then pushed to every connection of an
// online recipient, or kept until the recipient's next log-in. Sends and
// log-in deliveries for one recipient run under the same ordering key
// ("user:<name>"), so a message is never missed between the two.
// Thread-safe.
class DirectMessageInbox {
 public:
  DirectMessageInbox(EventBus& bus, Store& store, UserRegistry& users);

  static std::string ordering_key(const std::string& user) { return "user:" + user; }

  // Under the recipient's key. Returns the stored message (a retried cid
  // returns the original).
  StoredDirectMessage send(const std::string& from, const std::string& to, std::string text,
                           std::optional<std::string> client_id);

  // How many messages wait for `user` (at most one delivery batch).
  std::size_t pending_count(const std::string& user) const;
  // Schedules delivery of what waited for `user` to `session`, under the
  // recipient's key.
  void deliver_pending_later(const SessionPtr& session, const std::string& user);

 private:
  struct PendingDelivery {
    SessionPtr session;
    std::string user;
  };
  void deliver_pending(const PendingDelivery& delivery);

  EventBus& bus_;
  Store& store_;
  UserRegistry& users_;
  Subscription subscription_;
};

}  // namespace chat
