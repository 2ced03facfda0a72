#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/auth/identity.hpp"
#include "server/registry/user_registry.hpp"
#include "server/net/session.hpp"
#include "server/storage/store.hpp"

namespace chat {

// Direct messages: stored first, then pushed to the recipient's connections,
// or kept until one can take them. A message is marked delivered only once it
// was queued to a live connection — exactly that message, never "everything
// up to it" — so a message dropped on its way (the connection closed, or its
// queue was full) waits for the next log-in instead of being lost.
//
// A message is addressed to a principal (Identity::id), not to a name: only
// that principal's connections ever get it. What waits for a guest is
// discarded when the guest leaves; the name's next holder — another guest, or
// an account registered under it — gets none of it.
//
// Order: sends, log-in deliveries and a guest's departure for one name run
// under the same ordering key ("user:<name>"). A connection that logs in gets
// what waited first, then its inbox opens (UserRegistry::open_inbox) and live
// messages follow; a message sent meanwhile is not pushed to it but read with
// the backlog, so none overtakes an older one.
//
// Cluster (cluster.redis_url): a recipient may be a guest of another node (ClusterNode knows its principal),
// and may have connections on other nodes: each message stored here is handed to the publisher, and the other
// nodes push it to the recipient's connections there (deliver_published) by the same rules. Thread-safe.
class ClusterNode;

class DirectMessageInbox {
 public:
  // Who a message is for: the principal, and the name it was written to.
  struct Recipient {
    std::int64_t id = 0;
    std::string name;
  };

  // A message stored here, for the recipient's connections on the other nodes.
  using Publisher = std::function<void(const Recipient& to, std::int64_t id, const Frame& frame)>;

  // `cluster`: this node's place in a cluster; null on a server alone.
  DirectMessageInbox(EventBus& bus, Store& store, UserRegistry& users, const ClusterNode* cluster = nullptr);

  // Before the server runs.
  void set_publisher(Publisher publish) { publish_ = std::move(publish); }

  static std::string ordering_key(const std::string& user) { return "user:" + user; }

  // Under the name's key: who holds the name now — whoever is online under it
  // (a guest, or an account), otherwise the account of that name; nullopt
  // when there is neither.
  std::optional<Recipient> find_recipient(const std::string& name) const;

  // Under the recipient's key. Stores the message and pushes it to every
  // connection of the recipient whose inbox is open. Returns the stored
  // message (a retried cid returns the original).
  StoredDirectMessage send(const Identity& from, const Recipient& to, std::string text,
                           std::optional<std::string> client_id, MessageKind kind = MessageKind::text);

  // A message another node stored (its id) and sent as `frame`: pushed, under the recipient's key, to the
  // connections of the recipient here whose inbox is open, and marked delivered if one took it.
  void deliver_published(Recipient to, std::int64_t id, Frame frame);
  // What Redis may have lost: under the user's key, what waits for the user (online here) goes to its sessions
  // whose inbox is open — for one user (another node's publications failed), or every user online here (this
  // node's subscription was made again).
  void catch_up(const std::string& user);
  void catch_up_all();

  // How many messages wait for the principal (counted up to 1000).
  std::size_t pending_count(std::int64_t principal) const;
  // After a log-in: under the user's key, delivers what waited for
  // `identity` to `session` — in parts that each fit its reply budget, the
  // next once the client has read the last — then opens the session's inbox.
  void deliver_pending_later(const SessionPtr& session, const Identity& identity);
  // After a guest left (it is no longer listed online): under its name's key,
  // so after any message to it already on its way, discards what still
  // waits for it.
  void forget_guest(const Identity& guest);

 private:
  struct PendingDelivery {
    SessionPtr session;
    std::string user;
    std::int64_t principal = 0;
    std::int64_t through = 0;  // the newest message queued by the parts before
  };
  struct CatchUp {
    std::string user;
  };
  struct Published {
    Recipient to;
    std::int64_t id = 0;
    Frame frame;
  };
  struct GuestGone {
    std::string user;
    std::int64_t principal = 0;
  };
  void schedule(const PendingDelivery& delivery);
  void deliver_pending(const PendingDelivery& delivery);
  void discard(const GuestGone& gone);
  // Gives the frame to the recipient's sessions here whose inbox is open (and did not have the message with their
  // backlog); whether one took it.
  bool offer(const Recipient& to, std::int64_t id, const Frame& frame);
  // offer(), and the message marked delivered if one took it.
  void push(const Recipient& to, std::int64_t id, const Frame& frame);
  void push_waiting(const CatchUp& catch_up);

  EventBus& bus_;
  Store& store_;
  UserRegistry& users_;
  const ClusterNode* cluster_;
  Publisher publish_;
  Subscription delivery_subscription_;
  Subscription published_subscription_;
  Subscription catch_up_subscription_;
  Subscription departure_subscription_;
};

}  // namespace chat
