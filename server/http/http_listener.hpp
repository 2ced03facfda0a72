#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio.hpp>

#include "server/http/http_session.hpp"
#include "server/http/http_stats.hpp"

namespace chat {

// The operator's HTTP listener. It runs on an io_context and a thread of its own ("http"), apart from the
// chat io threads: a scrape, which reads the database's message count, never delays chat traffic, and an
// overloaded chat side never keeps /health or /metrics from answering. At most max_connections are served
// at once; a connection past that gets a 503 and is closed, and is counted (refused).
// listen() and start() come first, from one thread; stop() and stats() are safe from any other thread.
class HttpListener {
 public:
  struct Limits {
    std::size_t max_connections = 64;
    HttpSessionLimits session;
  };

  explicit HttpListener(Limits limits);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds and listens; returns the bound port (useful with port 0). Throws std::runtime_error naming the
  // address when it cannot ("cannot listen on 127.0.0.1:8080 (http): Address already in use").
  std::uint16_t listen(const std::string& address, std::uint16_t port);
  // Starts accepting on the HTTP thread; `handler` answers every request that passes the session's checks.
  // With `websocket`, its path takes WebSocket upgrades (http_session.hpp).
  void start(HttpHandler handler, std::shared_ptr<const WebSocketRoute> websocket = nullptr);
  // Closes the acceptor and every connection and joins the thread. Idempotent; not from the HTTP thread.
  void stop();

  HttpStats::Snapshot stats() const noexcept { return stats_.snapshot(); }

 private:
  boost::asio::awaitable<void> accept_loop();
  void refuse(boost::asio::ip::tcp::socket socket);

  const Limits limits_;
  // Declared before io_: the connections' coroutines, destroyed with io_, still count themselves out here.
  HttpStats stats_;
  HttpHandler handler_;
  std::shared_ptr<const WebSocketRoute> websocket_;
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_;  // the HTTP thread only, once started
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace chat
