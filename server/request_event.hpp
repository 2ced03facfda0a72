#pragma once

#include "common/request.hpp"
#include "server/command.hpp"
#include "server/session.hpp"

namespace chat {

// A parsed request on its way through the event bus to the pool.
struct RequestEvent {
  SessionPtr session;
  Request request;
  const CommandSpec* command = nullptr;
};

}  // namespace chat
