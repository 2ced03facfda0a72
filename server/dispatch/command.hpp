#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/request.hpp"
#include "server/concurrency/task.hpp"
#include "server/auth/identity.hpp"
#include "server/registry/room.hpp"
#include "server/net/session.hpp"

namespace chat {

struct ServerContext;

// What a command handler is given: the server's parts, the connection and
// its request. Helpers throw ProtocolError, which becomes the error reply.
class CommandContext {
 public:
  CommandContext(ServerContext& server, const SessionPtr& session, const Request& request)
      : server(server), session(session), request(request) {}

  ServerContext& server;
  const SessionPtr& session;
  const Request& request;

  // {"type":"ok","op":...,"id":...} for this request, to be completed and sent.
  nlohmann::json ok() const;
  void reply(const nlohmann::json& message) const;

  // The logged-in identity (unauthorized when there is none).
  Identity user() const;
  // Whether the logged-in user is a server administrator: an account the operator made one. Read from the
  // database at each call, not from the log-in: a right the operator revoked is gone at once.
  bool is_admin() const;
  // A required name field, canonical; bad_request when missing or invalid.
  std::string room_name(std::string_view field = "room") const;
  std::string user_name(std::string_view field = "user") const;
  // The room named by the "room" field; not_found when there is none.
  RoomPtr room() const;
  // Around a look-up whose answer tells the client whether a name exists (NameProbes): before it, rate_limited
  // while the connection's address has no probes left; after an answer that told, one probe is spent.
  void check_name_probe() const;
  void charge_name_probe() const;
  // Current server time in milliseconds since the Unix epoch.
  static std::int64_t now_ms();
};

// Which requests are handled one at a time, in order.
enum class OrderingKey {
  None,        // any order, in parallel
  Room,        // per room (the "room" field): messages, joins, moderation
  Connection,  // per connection: log-in and log-out
  Recipient,   // per recipient user (the "to" field): direct messages
  Name,        // per user name (the "name" field), the same key as Recipient: taking a name
};

// One operation of the protocol, declared once: its name, who may call it,
// how it is scheduled and its handler.
struct CommandSpec {
  std::string_view op;
  bool requires_login = true;
  Priority priority = Priority::Normal;
  OrderingKey key = OrderingKey::None;
  std::string_view concurrency_class = {};
  bool pauses_reading = false;  // the connection reads nothing else until it is handled
  // Never blocks (no I/O, no wait): runs at once on the connection's reader instead of a pool worker
  // when none of the connection's earlier requests still waits there (their order is kept). Saves the
  // hand-off to a worker on the busiest path.
  bool runs_on_reader = false;
  // Checks a password: admitted only through the LoginGate (per account and address lockouts, a bounded
  // number of hashes per address), before it waits for a worker.
  bool password_gate = false;
  std::function<void(const CommandContext&)> handler = {};
};

}  // namespace chat
