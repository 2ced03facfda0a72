#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include <boost/asio.hpp>

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

// Serves one connection: reads a request's header (never a body) within the timeout and bounded by
// max_header_bytes, refuses what this surface does not take — 431 for oversized headers, 405 for a method
// other than GET or HEAD, 400 for a body or a malformed request, each followed by a close — and hands the
// rest to `handler`. Keeps the connection alive while the client asks, up to max_requests. A peer that
// stalls, while sending a request or between two, is cut at the timeout without an answer.
// With `websocket` (null: /ws is an unknown path), a request for its path is checked as an upgrade: refused
// (and closed), or handed to websocket->handoff, which ends this connection's HTTP life.
// Runs on one io_context thread; decrements stats.connections when it ends.
boost::asio::awaitable<void> serve_http_connection(boost::asio::ip::tcp::socket socket,
                                                   boost::asio::ip::address peer, HttpSessionLimits limits,
                                                   const HttpHandler& handler, HttpStats& stats,
                                                   const WebSocketRoute* websocket = nullptr);

}  // namespace chat
