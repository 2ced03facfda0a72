#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "common/line_framer.hpp"

namespace chat::client {

namespace asio = boost::asio;

// One TCP connection to the server, optionally with TLS, carrying protocol lines. A new one is
// made for every (re)connect attempt, so no state leaks from a dead socket
// into its successor. Lines to send are queued and written in order by a
// single write chain; lines are read by one reader at a time.
class LineSocket : public std::enable_shared_from_this<LineSocket> {
 public:
  // Server lines can be far longer than requests (a page of history).
  static constexpr std::size_t kMaxIncomingLine = 16 * 1024 * 1024;

  // With `tls` (make_client_tls_context), connect() makes the TLS handshake after TCP's, and every line goes
  // over TLS.
  explicit LineSocket(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls = nullptr);

  // Throws boost::system::system_error when the server cannot be reached
  // or the TLS handshake fails (its what() says why: "certificate verify
  // failed: self-signed certificate"); with asio::error::timed_out when
  // `timeout` passed first, handshake included. The deadline only ever acts
  // on this attempt: once connect() returns, it is disarmed.
  asio::awaitable<void> connect(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

  // The next line, without its terminator. Throws system_error at end of
  // stream, on a read error, or when a line exceeds kMaxIncomingLine.
  asio::awaitable<std::string> read_line();

  // Queues one line ('\n' included). Dropped silently once closed: the
  // session re-sends whatever was unanswered on the next connection.
  void send(std::string line);

  void close();
  bool is_open() const { return socket_.is_open(); }

 private:
  void write_next();
  asio::awaitable<void> handshake(const std::string& host);

  asio::ip::tcp::socket socket_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  // Over socket_, once TCP is connected; null without TLS. The writer and the reader use it alike.
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  LineFramer framer_{kMaxIncomingLine};
  std::array<char, 16 * 1024> read_buffer_{};
  std::deque<std::string> outbox_;
  bool writing_ = false;
};

}  // namespace chat::client
