#include "server/http/http_listener.hpp"

#include <pthread.h>

#include <sstream>

#include <boost/asio/ssl.hpp>
#include <spdlog/spdlog.h>

#include "server/log_throttle.hpp"
#include "server/net/https_stream.hpp"
#include "server/net/peer_address.hpp"

namespace chat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

void log_failure(std::exception_ptr error, const char* what) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("http: {} failed: {}", what, e.what());
  }
}

// The answer past a limit, as the bytes to send; `limit` names the configuration key.
std::string too_many_connections(std::string_view limit, bool tls) {
  auto response = json_response(http::status::service_unavailable,
                                R"({"error":"too_many_connections","detail":")" + std::string(limit) + R"("})");
  response.keep_alive(false);
  if (tls) {
    response.set(http::field::strict_transport_security,
                 boost::beast::string_view(kStrictTransportSecurity.data(), kStrictTransportSecurity.size()));
  }
  std::ostringstream text;
  text << response;
  return text.str();
}

}  // namespace

HttpListener::HttpListener(Limits limits, std::optional<Tls> tls)
    : limits_(limits),
      tls_(std::move(tls)),
      limiter_(limits_.max_connections, limits_.max_connections_per_address),
      service_{limits_.session, nullptr, &stats_, nullptr},
      acceptor_(io_) {}

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
  service_.handler = std::move(handler);
  websocket_ = std::move(websocket);
  service_.websocket = websocket_.get();
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

HttpStats::Snapshot HttpListener::stats() const {
  auto snapshot = stats_.snapshot();
  snapshot.connections = limiter_.active();
  return snapshot;
}

asio::awaitable<void> HttpListener::accept_loop() {
  asio::steady_timer backoff(io_);
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    // An HTTPS connection's socket is made on the chat side's executor from the start (https_stream.hpp).
    // (Two statements, not a conditional expression: g++ destroys a co_await's result there too early.)
    tcp::socket socket(io_);
    if (tls_) {
      socket = co_await acceptor_.async_accept(tls_->socket_executor(), asio::redirect_error(asio::use_awaitable, ec));
    } else {
      socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    }
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
    const auto peer = peer_address(remote.address());
    auto address = address_key(peer.to_string());
    // Counted from the accept: an idle connection, or one still in its TLS handshake, holds its place.
    const auto verdict = limiter_.try_admit(address);
    if (verdict != ConnectionLimiter::Verdict::Admitted) {
      refuse(std::move(socket), peer.to_string(),
             verdict == ConnectionLimiter::Verdict::TooManyTotal ? "http.max_connections"
                                                                 : "http.max_connections_per_ip");
      continue;
    }
    stats_.accepted.fetch_add(1, std::memory_order_relaxed);
    HttpConnectionSlot slot(limiter_, std::move(address));
    const auto on_end = [](std::exception_ptr error) { log_failure(error, "connection"); };
    if (tls_) {
      asio::co_spawn(io_,
                     serve_https_connection(std::move(socket), tls_->credentials->current(), peer, service_,
                                            std::move(slot)),
                     on_end);
    } else {
      asio::co_spawn(io_, serve_http_connection(std::move(socket), peer, service_, std::move(slot)), on_end);
    }
  }
}

void HttpListener::refuse(tcp::socket socket, const std::string& address, std::string_view limit) {
  stats_.refused.fetch_add(1, std::memory_order_relaxed);
  static LogThrottle throttle;
  warn_throttled(throttle, "http: refused a connection from {}: {} ({}) reached", address, limit,
                 limit == "http.max_connections" ? limits_.max_connections : limits_.max_connections_per_address);
  auto answer = too_many_connections(limit, tls_.has_value());
  boost::system::error_code ignored;
  if (tls_ && tls_refusals_ < kMaxTlsRefusalsAtOnce) {
    ++tls_refusals_;
    asio::co_spawn(io_, refuse_over_tls(std::move(socket), std::move(answer)),
                   [](std::exception_ptr error) { log_failure(error, "refusal"); });
    return;
  }
  if (!tls_) {
    // One non-blocking write: a refused peer that does not take its answer is closed anyway.
    socket.non_blocking(true, ignored);
    socket.write_some(asio::buffer(answer), ignored);
  }
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> HttpListener::refuse_over_tls(tcp::socket socket, std::string answer) {
  // Counted out however this ends, destruction with io_ included.
  struct Done {
    std::size_t& count;
    ~Done() { --count; }
  } done{tls_refusals_};
  HttpsStream stream(boost::beast::tcp_stream(std::move(socket)), *tls_->credentials->current());
  auto& lowest = boost::beast::get_lowest_layer(stream);
  // The handshake, the answer and the close_notify together within one request's time.
  lowest.expires_after(limits_.session.request_timeout);
  boost::system::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await asio::async_write(stream, asio::buffer(answer), asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  lowest.close();
}

}  // namespace chat
