#pragma once

#include <atomic>
#include <string_view>

#include "server/dispatch/command_table.hpp"
#include "server/dispatch/request_counters.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/server_context.hpp"
#include "server/net/session.hpp"

namespace chat {

// The front half of a request's path: frames arrive from a session, are
// rate-limited, parsed, checked against the command table and published on
// the bus with the command's priority, ordering key and concurrency class.
// The back half — running the handler on a pool worker and turning failures
// into error replies — is run() (the bus subscription). A command that never
// blocks (CommandSpec::runs_on_reader) is handled at once on the reader
// instead, unless an earlier request of its connection still waits in the
// pool. A request that waited in the queue past limits.request_deadline_ms
// is answered `overloaded` instead of run late (its client has likely given
// up on it); one whose connection closed while it waited is not run at all.
// Thread-safe.
class RequestRouter {
 public:
  RequestRouter(ServerContext& server, const CommandTable& commands, RequestCounters& counters);

  // Returns true when the session must stop reading until the request is handled.
  // Every line gets exactly one reply: its answer, or a refusal naming its op and id.
  bool route(const SessionPtr& session, std::string_view line);

  // From now on every request is refused with `overloaded` ("the server is
  // shutting down"): the server stops, and what is read meanwhile is answered.
  void refuse_all() noexcept { refusing_.store(true, std::memory_order_relaxed); }

 private:
  std::string ordering_key(const CommandSpec& command, const Session& session, const Request& request) const;
  // The canonical "name" of a log-in or registration; empty when it has no valid one (its handler says why).
  std::string account_of(const Request& request) const;
  // The bus subscription: runs the event's handler on a pool worker.
  void run(const struct RequestEvent& event);
  // Runs the handler; a failure becomes the request's error reply.
  void handle(const SessionPtr& session, const Request& request, const CommandSpec& command);
  // Answers a request refused before it is parsed for handling (rate, shutdown) with its op and id.
  static Frame refusal(std::string_view line, ErrorCode code, const std::string& message);

  ServerContext& server_;
  const CommandTable& commands_;
  RequestCounters& counters_;
  const std::chrono::milliseconds deadline_;  // 0: none
  Subscription subscription_;
  std::atomic<bool> refusing_{false};
};

}  // namespace chat
