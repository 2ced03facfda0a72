#include "server/listener.hpp"

#include <spdlog/spdlog.h>

#include "common/frames.hpp"

namespace chat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& io, ConnectionLimiter& limiter, DisconnectCounters& disconnects, OnAccept on_accept)
    : io_(io),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      limiter_(limiter),
      disconnects_(disconnects),
      on_accept_(std::move(on_accept)) {}

std::uint16_t Listener::listen(const std::string& host, std::uint16_t port) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  return acceptor_.local_endpoint().port();
}

void Listener::start() {
  asio::co_spawn(strand_, accept_loop(), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::critical("accept loop failed: {}", e.what());
    }
  });
}

void Listener::stop() {
  asio::post(strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    stopped_.store(true, std::memory_order_release);
  });
}

asio::awaitable<void> Listener::accept_loop() {
  asio::steady_timer backoff(strand_);
  bool descriptors_exhausted = false;
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec.value() == ENFILE) {
      // The pending connection stays in the backlog; retrying at once would spin.
      if (!descriptors_exhausted) spdlog::error("accept: {}; pausing accepts", ec.message());
      descriptors_exhausted = true;
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (ec) {
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    if (descriptors_exhausted) spdlog::info("accept: descriptors available again");
    descriptors_exhausted = false;

    boost::system::error_code endpoint_error;
    const auto remote = socket.remote_endpoint(endpoint_error);
    if (endpoint_error) continue;  // the peer left already
    auto address = remote.address().to_string();
    socket.set_option(tcp::no_delay(true), endpoint_error);
    switch (limiter_.try_admit(address)) {
      case ConnectionLimiter::Verdict::Admitted:
        on_accept_(std::move(socket), std::move(address));
        break;
      case ConnectionLimiter::Verdict::TooManyTotal:
        refuse(std::move(socket), "too many connections");
        break;
      case ConnectionLimiter::Verdict::TooManyFromAddress:
        refuse(std::move(socket), "too many connections from your address");
        break;
    }
  }
}

void Listener::refuse(tcp::socket socket, std::string_view reason) {
  disconnects_.count(DisconnectReason::Refused);
  spdlog::warn("refused a connection: {}", reason);
  auto line = std::make_shared<std::string>(to_line(error_reply(ErrorCode::Overloaded, reason)));
  auto shared_socket = std::make_shared<tcp::socket>(std::move(socket));
  // A refused peer gets one line; if it does not take it, the socket is closed anyway.
  boost::system::error_code ignored;
  shared_socket->non_blocking(true, ignored);
  shared_socket->write_some(asio::buffer(*line), ignored);
  shared_socket->shutdown(tcp::socket::shutdown_both, ignored);
  shared_socket->close(ignored);
}

}  // namespace chat
