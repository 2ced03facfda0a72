#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server/http/http_connection_slot.hpp"
#include "server/http/http_response.hpp"
#include "server/http/http_stats.hpp"
#include "server/http/websocket_upgrade.hpp"

namespace chat {

// What one operator HTTP connection may cost (http.* in the configuration).
struct HttpSessionLimits {
  std::uint32_t max_requests = 100;                    // keep-alive requests, then the connection closes
  std::chrono::milliseconds request_timeout{5000};     // to receive a request's header, or to send a reply
  std::size_t max_header_bytes = 8192;                 // request line and headers: 431 past it
};

// Answers a GET or HEAD request from `peer`. A WebSocket upgrade (GET /ws) branches off before this.
using HttpHandler = std::function<HttpResponse(const HttpRequest&, const boost::asio::ip::address& peer)>;

// What every connection of one listener shares; outlives them (the listener's).
struct HttpService {
  HttpSessionLimits limits;
  HttpHandler handler;
  HttpStats* stats = nullptr;
  const WebSocketRoute* websocket = nullptr;  // null: /ws is an unknown path
};

// The value of Strict-Transport-Security on every HTTPS answer: browsers that saw it use https: for a year.
inline constexpr std::string_view kStrictTransportSecurity = "max-age=31536000";

// Serves one connection: reads a request's header (never a body) within the timeout and bounded by
// max_header_bytes, refuses what this surface does not take — 431 for oversized headers, 405 for a method
// other than GET or HEAD, 400 for a body or a malformed request, each followed by a close — and hands the
// rest to the handler. Keeps the connection alive while the client asks, up to max_requests. A peer that
// stalls, while sending a request or between two, is cut at the timeout without an answer.
// With a WebSocket route, a request for its path is checked as an upgrade: refused (and closed), or handed
// to its handoff, which ends this connection's HTTP life.
// Runs on the HTTP thread; `slot` is given back when it ends.
boost::asio::awaitable<void> serve_http_connection(boost::asio::ip::tcp::socket socket, boost::asio::ip::address peer,
                                                   const HttpService& service, HttpConnectionSlot slot);

// The same over TLS (http.tls): first the handshake, with `context` (the certificate current at accept), within
// request_timeout — a peer that stalls or trickles it is cut and counted as a timeout, one that fails it
// (plain HTTP, say) is closed without an answer — then every answer carries Strict-Transport-Security, and an
// upgrade hands the TLS stream over (WebSocketRoute::secure_handoff). `socket` lives on the executor the
// stream must keep (https_stream.hpp); the coroutine runs on the HTTP thread all the same.
boost::asio::awaitable<void> serve_https_connection(boost::asio::ip::tcp::socket socket,
                                                    std::shared_ptr<boost::asio::ssl::context> context,
                                                    boost::asio::ip::address peer, const HttpService& service,
                                                    HttpConnectionSlot slot);

}  // namespace chat
