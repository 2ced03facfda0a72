#include "server/http/http_listener.hpp"

#include <pthread.h>

#include <sstream>

#include <spdlog/spdlog.h>

#include "server/log_throttle.hpp"

namespace chat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A peer on a dual-stack socket shows as ::ffff:a.b.c.d; http.metrics_allow names it a.b.c.d.
asio::ip::address plain(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

void log_failure(std::exception_ptr error, const char* what) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("http: {} failed: {}", what, e.what());
  }
}

}  // namespace

HttpListener::HttpListener(Limits limits) : limits_(limits), acceptor_(io_) {}

HttpListener::~HttpListener() { stop(); }

std::uint16_t HttpListener::listen(const std::string& address, std::uint16_t port) {
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(address), port);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + address + ":" + std::to_string(port) +
                             " (http): " + e.code().message());
  }
  return acceptor_.local_endpoint().port();
}

void HttpListener::start(HttpHandler handler, std::shared_ptr<const WebSocketRoute> websocket) {
  handler_ = std::move(handler);
  websocket_ = std::move(websocket);
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr error) { log_failure(error, "accept loop"); });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "http");
    io_.run();
  });
}

void HttpListener::stop() {
  if (stopped_.exchange(true)) return;
  if (thread_.joinable()) {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    // The connections are not waited for: an operator's probe loses nothing by being cut at shutdown.
    io_.stop();
    thread_.join();
  }
  // The thread is gone (or never ran): from now on the kernel refuses new connections.
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> HttpListener::accept_loop() {
  asio::steady_timer backoff(io_);
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec) {
      // Out of descriptors, most likely: retrying at once would spin.
      static LogThrottle throttle;
      warn_throttled(throttle, "http: accept: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    const auto remote = socket.remote_endpoint(ec);
    if (ec) continue;  // the peer left already
    // One thread runs every connection, so this count cannot change between the check and the increment.
    if (stats_.connections.load(std::memory_order_relaxed) >= limits_.max_connections) {
      refuse(std::move(socket));
      continue;
    }
    stats_.connections.fetch_add(1, std::memory_order_relaxed);
    stats_.accepted.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(io_,
                   serve_http_connection(std::move(socket), plain(remote.address()), limits_.session, handler_,
                                         stats_, websocket_.get()),
                   [](std::exception_ptr error) { log_failure(error, "connection"); });
  }
}

void HttpListener::refuse(tcp::socket socket) {
  stats_.refused.fetch_add(1, std::memory_order_relaxed);
  static LogThrottle throttle;
  warn_throttled(throttle, "http: refused a connection: {} connections open (http.max_connections)",
                 limits_.max_connections);
  auto response = json_response(http::status::service_unavailable,
                                R"({"error":"too_many_connections","detail":"http.max_connections"})");
  response.keep_alive(false);
  std::ostringstream text;
  text << response;
  // One non-blocking write: a refused peer that does not take its answer is closed anyway.
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(text.str()), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace chat
