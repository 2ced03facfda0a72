#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio.hpp>

#include "server/net/disconnect_reason.hpp"

namespace chat {

// Accepts TCP connections and hands each to the server, which admits it (the
// connection limits, one path for every transport: Server::admit). At the
// open-file limit a spare descriptor lets it accept the waiting peers, tell
// each in one error line and close it, and accepting pauses briefly rather
// than spinning when even that fails. The acceptor is
// used only on the listener's strand — the accept loop runs there and stop()
// closes it there — because an acceptor, like any Asio object, must not be
// used from two threads at once, and the io_context has several. listen()
// comes before start(); stop() and stopped() are safe from any thread.
class Listener {
 public:
  // Receives an accepted socket (on its own strand) and the peer address (peer_address(): an IPv4-mapped one
  // as its IPv4 address).
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket, std::string address)>;

  Listener(boost::asio::io_context& io, DisconnectCounters& disconnects, OnAccept on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and listens (the kernel queues connections until start()); returns the bound port (useful with
  // port 0). Throws std::runtime_error naming the address when it cannot.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  void start();
  // Before start(): a refused connection is closed without its error line, for a port whose clients expect
  // a TLS handshake first, to whom the line would only be garbage.
  void refuse_silently() noexcept { refusal_line_ = false; }
  // Closes the acceptor (on the strand); returns at once.
  void stop();
  // True once the acceptor is closed: from then on the kernel refuses new connections.
  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

 private:
  boost::asio::awaitable<void> accept_loop();
  void refuse(boost::asio::ip::tcp::socket socket, std::string_view reason);
  static bool out_of_descriptors(const boost::system::error_code& ec);
  enum class SpareOutcome {
    Refused,        // the waiting peer got its error line
    NobodyWaiting,  // the peer left before it could be accepted
    NoSpare,        // no descriptor even for that: pause before trying again
  };
  SpareOutcome refuse_with_spare_descriptor();
  void open_spare_descriptor();
  void release_spare_descriptor();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;  // strand_ only, once start() was called
  std::atomic<bool> stopped_{false};
  DisconnectCounters& disconnects_;
  OnAccept on_accept_;
  int spare_descriptor_ = -1;  // strand_ only, once start() was called
  bool refusal_line_ = true;
};

}  // namespace chat
