#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <functional>
#include <optional>
#include <string_view>

#include <boost/asio.hpp>

#include "server/http/http_response.hpp"
#include "server/http/origin_policy.hpp"
#include "server/net/https_stream.hpp"

namespace chat {

// GET /ws on the operator HTTP port: the upgrade to a chat connection over a WebSocket
// (docs/protocol.md, "WebSocket"). The HTTP session checks the request (check_websocket_upgrade) and, when it
// passes, hands the connection over — leaving the HTTP listener's count — to the chat side, which answers
// the upgrade on its own thread as the connection's first step.
struct WebSocketRoute {
  static constexpr std::string_view kPath = "/ws";

  // Takes an upgrade that passed the checks: the socket (still on the HTTP listener's io_context), the
  // request, the peer. Called on the HTTP thread; must not block.
  using Handoff = std::function<void(boost::asio::ip::tcp::socket, HttpRequest, boost::asio::ip::address peer)>;
  // The same over HTTPS (http.tls): the TLS stream, handshake done, whose socket is on the chat side already.
  using SecureHandoff = std::function<void(HttpsStream, HttpRequest, boost::asio::ip::address peer)>;

  OriginPolicy origins;
  Handoff handoff;
  SecureHandoff secure_handoff;
};

// The refusal for a GET (or HEAD) of /ws, or nullopt when it may be upgraded: 426 for a request that is no
// WebSocket upgrade (with `Upgrade: websocket`) or asks for another version than 13, 400 without a
// Sec-WebSocket-Key, 403 for an Origin the policy does not allow (cross-site WebSocket hijacking). Every
// refusal closes the connection.
std::optional<HttpResponse> check_websocket_upgrade(const HttpRequest& request, const OriginPolicy& origins);

}  // namespace chat
