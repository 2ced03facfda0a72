#include "server/request_router.hpp"

#include <spdlog/spdlog.h>

#include "common/names.hpp"
#include "server/logging.hpp"
#include "server/request_event.hpp"
#include "server/storage/storage_error.hpp"
#include "server/storage_refusal.hpp"

namespace chat {

namespace {
constexpr std::size_t kOpSampleBytes = 32;
}  // namespace

RequestRouter::RequestRouter(ServerContext& server, const CommandTable& commands)
    : server_(server), commands_(commands) {
  // Each event carries its own priority; the subscription's is only a default.
  subscription_ = server_.bus.subscribe<RequestEvent>([this](const RequestEvent& event) { run(event); },
                                                      Priority::Normal);
}

bool RequestRouter::route(const SessionPtr& session, std::string_view line) {
  if (!session->take_rate_token()) {
    if (!session->is_closed()) {
      session->send(error_reply(ErrorCode::RateLimited, "too many requests; slow down"));
    }
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
      auto key = ordering_key(*command, *session, request);
      auto op = request.op();
      auto id = request.id();
      const auto published = server_.bus.publish(
          RequestEvent{session, std::move(request), command},
          PublishOptions{std::move(key), command->priority, std::string(command->concurrency_class)});
      if (!published.ok()) {
        spdlog::warn("conn={} op={} refused: the work queue is full", session->connection_id(), op);
        session->send(error_reply(ErrorCode::Overloaded, "the server is busy; retry later", op, id));
        return false;
      }
      return command->pauses_reading;
    } catch (const ProtocolError& e) {
      throw RequestError(e.code(), e.what(), command ? std::string(command->op) : std::string(), request.id());
    }
  } catch (const RequestError& e) {
    spdlog::debug("conn={} {}: {} (sample: {})", session->connection_id(), to_string(e.code()), e.what(),
                  log_sample(line));
    session->send(error_reply(e.code(), e.what(), e.op(), e.id()));
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

void RequestRouter::run(const RequestEvent& event) {
  const auto& request = event.request;
  try {
    event.command->handler(CommandContext(server_, event.session, request));
  } catch (const ProtocolError& e) {
    event.session->send(error_reply(e.code(), e.what(), request.op(), request.id()));
  } catch (const std::exception& e) {
    // Failing storage fails every write alike: the store logged it once, and the client learns why.
    const auto* storage = dynamic_cast<const StorageError*>(&e);
    const bool storage_fails = storage != nullptr && StorageHealth::is_fault(storage->sqlite_code());
    const auto identity = event.session->identity();
    spdlog::log(storage_fails ? spdlog::level::debug : spdlog::level::err, "conn={} user={} op={} failed: {}",
                event.session->connection_id(), identity ? identity->user : "-", request.op(), e.what());
    event.session->send(error_reply(ErrorCode::Internal,
                                    storage_fails ? storage_refusal(server_.store.health()) : "internal error",
                                    request.op(), request.id()));
  }
  if (event.command->pauses_reading) event.session->resume_reading();
}

}  // namespace chat
