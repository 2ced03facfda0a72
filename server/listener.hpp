#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio.hpp>

#include "server/connection_limiter.hpp"
#include "server/disconnect_reason.hpp"

namespace chat {

// Accepts connections and admits them through the connection limiter. A
// refused connection gets one error line and is closed. Running out of file
// descriptors pauses accepting briefly instead of spinning. Runs on the
// io_context; stop() is safe from any thread.
class Listener {
 public:
  // Receives an admitted socket (on its own strand) and the peer address;
  // the receiver must release() the address from the limiter when it closes.
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket, std::string address)>;

  Listener(boost::asio::io_context& io, ConnectionLimiter& limiter, DisconnectCounters& disconnects, OnAccept on_accept);

  // Binds and listens; returns the bound port (useful with port 0).
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  void refuse(boost::asio::ip::tcp::socket socket, std::string_view reason);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ConnectionLimiter& limiter_;
  DisconnectCounters& disconnects_;
  OnAccept on_accept_;
};

}  // namespace chat
