#include "server/dispatch/request_router.hpp"

#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "server/log_throttle.hpp"
#include "server/logging.hpp"
#include "server/dispatch/request_event.hpp"
#include "server/storage/storage_error.hpp"
#include "server/messaging/storage_refusal.hpp"

namespace chat {

namespace {
constexpr std::size_t kOpSampleBytes = 32;
}  // namespace

RequestRouter::RequestRouter(ServerContext& server, const CommandTable& commands, RequestCounters& counters)
    : server_(server),
      commands_(commands),
      counters_(counters),
      deadline_(server.config.limits.request_deadline_ms) {
  // Each event carries its own priority; the subscription's is only a default.
  subscription_ = server_.bus.subscribe<RequestEvent>([this](const RequestEvent& event) { run(event); },
                                                      Priority::Normal);
}

Frame RequestRouter::refusal(std::string_view line, ErrorCode code, const std::string& message) {
  // Parsed only to name the op and id, so that the client can tell which request was refused.
  std::string op;
  nlohmann::json id;
  try {
    const auto request = parse_request(line);
    op = request.op();
    id = request.id();
  } catch (const RequestError& e) {
    op = e.op();
    id = e.id();
  }
  return to_frame(error_reply(code, message, op, id));
}

bool RequestRouter::route(const SessionPtr& session, std::string_view line) {
  if (refusing_.load(std::memory_order_relaxed)) {
    session->deliver(refusal(line, ErrorCode::Overloaded, "the server is shutting down"));
    return false;
  }
  switch (session->take_rate_token()) {
    case Session::RateVerdict::Admitted:
      break;
    case Session::RateVerdict::Refused:
      session->deliver(refusal(line, ErrorCode::RateLimited, "too many requests; slow down"));
      return false;
    case Session::RateVerdict::Abuse:
      session->close_after(DisconnectReason::RateAbuse,
                           refusal(line, ErrorCode::RateLimited, "too many requests; closing the connection"));
      return false;
  }
  try {
    Request request = parse_request(line);
    const CommandSpec* command = commands_.find(request.op());
    if (!command) {
      // The op is the client's, up to a frame long: the message (which is also logged) names a short escaped
      // sample of it only.
      throw RequestError(ErrorCode::BadRequest, "unknown op '" + log_sample(request.op(), kOpSampleBytes) + "'",
                         request.op(), request.id());
    }
    try {
      if (command->requires_login && !session->identity()) {
        throw ProtocolError(ErrorCode::Unauthorized, "log in first");
      }
      if (command->runs_on_reader && !session->has_queued_requests()) {
        // No key needed: nothing is queued. The handler checks the room's name itself, with the same answer.
        handle(session, request, *command);
        return command->pauses_reading;
      }
      auto key = ordering_key(*command, *session, request);
      // Refused here, before it waits for a worker: a locked account or address costs no hash, and one
      // address cannot fill the hash class's queue.
      std::shared_ptr<const void> held;
      if (command->password_gate) held = server_.login_gate.admit(session->address_key(), account_of(request));
      auto op = request.op();
      auto id = request.id();
      session->request_queued();
      const auto published = server_.bus.publish(
          RequestEvent{ReplyHold(session), std::move(request), command, std::move(held),
                       std::chrono::steady_clock::now()},
          PublishOptions{std::move(key), command->priority, std::string(command->concurrency_class)});
      if (!published.ok()) {
        session->request_handled();
        counters_.busy.fetch_add(1, std::memory_order_relaxed);
        static LogThrottle throttle;
        warn_throttled(throttle, "conn={} op={} refused: the work queue is full", session->connection_id(), op);
        session->send(error_reply(ErrorCode::Overloaded, "the server is busy; retry later", op, id));
        return false;
      }
      return command->pauses_reading;
    } catch (const ProtocolError& e) {
      throw RequestError(e, command ? std::string(command->op) : std::string(), request.id());
    }
  } catch (const RequestError& e) {
    spdlog::debug("conn={} {}: {} (sample: {})", session->connection_id(), to_string(e.code()), e.what(),
                  log_sample(line));
    session->send(error_reply(e, e.op(), e.id()));
  }
  return false;
}

std::string RequestRouter::ordering_key(const CommandSpec& command, const Session& session,
                                        const Request& request) const {
  const auto max_name = server_.config.limits.max_name_length;
  switch (command.key) {
    case OrderingKey::None:
      return {};
    case OrderingKey::Connection:
      return "conn:" + std::to_string(session.connection_id());
    case OrderingKey::Room: {
      auto room = canonical_room_name(request.required_string("room"), max_name);
      if (!room) throw ProtocolError(ErrorCode::BadRequest, "invalid room name in 'room'");
      return std::move(*room);
    }
    case OrderingKey::Recipient: {
      auto user = canonical_user_name(request.required_string("to"), max_name);
      if (!user) throw ProtocolError(ErrorCode::BadRequest, "invalid user name in 'to'");
      return DirectMessageInbox::ordering_key(*user);
    }
    case OrderingKey::Name: {
      // An invalid name takes nothing, so it needs no order; its handler explains the name rules.
      auto user = canonical_user_name(request.required_string("name"), max_name);
      return user ? DirectMessageInbox::ordering_key(*user) : std::string();
    }
  }
  return {};
}

std::string RequestRouter::account_of(const Request& request) const {
  const auto name = request.optional_string("name");
  if (!name) return {};
  return canonical_user_name(*name, server_.config.limits.max_name_length).value_or(std::string());
}

void RequestRouter::run(const RequestEvent& event) {
  const auto& session = event.reply.session();
  const auto& command = *event.command;
  if (session->is_closed()) {
    // Nobody is left to answer: connections that send and vanish cost no work. (A closed connection is one
    // seen to close: while a log-in holds its reader, a reset is noticed only after the log-in.)
    counters_.cancelled.fetch_add(1, std::memory_order_relaxed);
  } else if (const auto waited = std::chrono::steady_clock::now() - event.queued_at;
             deadline_.count() > 0 && waited > deadline_) {
    // Its client has likely given up on it: run now, it would only add to the backlog that delayed it.
    counters_.expired.fetch_add(1, std::memory_order_relaxed);
    const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(waited).count();
    session->send(error_reply(ErrorCode::Overloaded,
                              "the server is busy: the request waited " + std::to_string(waited_ms) +
                                  " ms and was not run; retry later",
                              event.request.op(), event.request.id()));
    if (command.pauses_reading) session->resume_reading();
  } else {
    handle(session, event.request, command);
  }
  session->request_handled();
}

void RequestRouter::handle(const SessionPtr& session, const Request& request, const CommandSpec& command) {
  try {
    command.handler(CommandContext(server_, session, request));
  } catch (const ProtocolError& e) {
    session->send(error_reply(e, request.op(), request.id()));
  } catch (const std::exception& e) {
    // Failing storage fails every write alike: the store logged it once, and the client learns why.
    const auto* storage = dynamic_cast<const StorageError*>(&e);
    const bool storage_fails = storage != nullptr && storage->is_fault();
    const auto identity = session->identity();
    spdlog::log(storage_fails ? spdlog::level::debug : spdlog::level::err, "conn={} user={} op={} failed: {}",
                session->connection_id(), identity ? identity->user : "-", request.op(), e.what());
    session->send(error_reply(ErrorCode::Internal,
                              storage_fails ? storage_refusal(server_.store.health()) : "internal error",
                              request.op(), request.id()));
  }
  if (command.pauses_reading) session->resume_reading();
}

}  // namespace chat
