#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio.hpp>

#include "server/http/http_session.hpp"
#include "server/http/http_stats.hpp"
#include "server/net/connection_limiter.hpp"
#include "server/net/tls_credentials.hpp"

namespace chat {

// The operator's HTTP listener. It runs on an io_context and a thread of its own ("http"), apart from the
// chat io threads: a scrape, which reads the database's message count, never delays chat traffic, and an
// overloaded chat side never keeps /health or /metrics from answering. At most max_connections are served
// at once, at most max_connections_per_address from one address (peer_address()), a TLS handshake under way
// included; a connection past either gets a 503 naming the limit and is closed, and is counted (refused).
// With Tls, it speaks HTTPS only (http.tls): see https_stream.hpp for where such a connection's socket lives.
// listen() and start() come first, from one thread; stop() and stats() are safe from any other thread.
class HttpListener {
 public:
  struct Limits {
    std::size_t max_connections = 64;
    std::size_t max_connections_per_address = 16;
    HttpSessionLimits session;
  };

  // HTTPS: the certificate (TlsCredentials::current() at each accept, so that a SIGHUP reload applies to
  // later connections), and the executor each connection's socket is made on (a strand of the chat
  // io_context). Both outlive the listener.
  struct Tls {
    const TlsCredentials* credentials = nullptr;
    std::function<boost::asio::any_io_executor()> socket_executor;
  };

  // A refused HTTPS peer is told after a TLS handshake, which costs what a connection costs and is counted by
  // no limit: at most this many are told at once; past that one is closed without a word.
  static constexpr std::size_t kMaxTlsRefusalsAtOnce = 64;

  explicit HttpListener(Limits limits, std::optional<Tls> tls = std::nullopt);
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

  HttpStats::Snapshot stats() const;

 private:
  boost::asio::awaitable<void> accept_loop();
  // Past a limit (`limit` names its key): the 503, then the close.
  void refuse(boost::asio::ip::tcp::socket socket, const std::string& address, std::string_view limit);
  boost::asio::awaitable<void> refuse_over_tls(boost::asio::ip::tcp::socket socket, std::string answer);

  const Limits limits_;
  const std::optional<Tls> tls_;
  // Declared before io_: the connections' coroutines, destroyed with io_, still count themselves out here.
  HttpStats stats_;
  ConnectionLimiter limiter_;
  HttpService service_;
  std::shared_ptr<const WebSocketRoute> websocket_;
  std::size_t tls_refusals_ = 0;  // the HTTP thread only
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_;  // the HTTP thread only, once started
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace chat
