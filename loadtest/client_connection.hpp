#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "loadtest/tls_link.hpp"
#include "loadtest/websocket_framing.hpp"

namespace chat::loadtest {

// One TCP connection to the server, optionally with TLS, seen as a byte stream: what it reads goes
// to the handler as it comes, to be framed there (lines, RESP). With TLS the handshake follows the
// connect (on_connected() comes after it), and OpenSSL reads and writes the non-blocking socket in the
// same reactor style (TlsLink). With use_websocket() it speaks through GET /ws instead (over TLS too: wss:,
// the upgrade after the handshake): connected once the upgrade is answered, each line sent is one message
// and each message read comes as a line (WebSocketFraming), so the handler sees the same stream.
//
// Reads are reactor-style (wait until readable, then read into a buffer shared
// by every connection of the worker): thousands of idle connections then cost
// no read buffer each. Writes go straight to the socket and are queued only
// when it is full. Single-threaded: everything runs on one io_context thread.
// A connection may be closed and connected again; callbacks of an earlier
// socket are recognised by generation and dropped.
class ClientConnection {
 public:
  class Handler {
   public:
    virtual void on_connected() = 0;
    // The bytes of one read, valid during the call only (the read buffer is
    // shared); arrived_us: when that read returned (now_us()), read once per
    // read rather than once per message. The handler may close or reconnect
    // the connection from here.
    virtual void on_bytes(std::string_view bytes, std::uint64_t arrived_us) = 0;
    // The peer closed or an I/O error occurred; not called after close().
    virtual void on_closed(const boost::system::error_code& error) = 0;

   protected:
    ~Handler() = default;
  };

  // `tls`: the process's TLS context (make_tls_context), or null for plain TCP.
  ClientConnection(boost::asio::io_context& io, std::span<char> shared_read_buffer, Handler& handler,
                   SSL_CTX* tls = nullptr);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Binds to source (port chosen at connect time, so that many connections
  // can share one source address) when given, then connects with TCP_NODELAY.
  void connect(const boost::asio::ip::tcp::endpoint& server,
               const std::optional<boost::asio::ip::address_v4>& source);
  // From now on (for every later connect) the connection is a WebSocket to
  // GET /ws; `host` is the Host header ("127.0.0.1:8080").
  void use_websocket(std::string host) { websocket_.emplace(std::move(host)); }
  // Writes bytes (a whole line, a whole command), queueing what the socket
  // does not take at once.
  void send(std::string_view bytes);
  void close() noexcept;
  bool is_open() const noexcept { return open_; }
  // Changes with every connect() and close(): a handler that sees it change
  // during on_bytes() knows that the rest of those bytes is no longer its.
  std::uint64_t generation() const noexcept { return generation_; }
  std::size_t queued_bytes() const noexcept { return out_.size(); }

 private:
  void wait_readable();
  void on_readable();
  void wait_writable();
  void write_queued();
  // Writes bytes as they are (send() frames them first on a WebSocket).
  void write_bytes(std::string_view bytes);
  // Connected (and past TLS's handshake, if any): the handler's turn, or first the WebSocket's upgrade.
  void start_session();
  // Bytes read (TLS's plaintext) to the handler, through the WebSocket's framing if any: false when the
  // connection ended meanwhile (failed, closed or reconnected by the handler).
  bool deliver(std::string_view bytes, std::uint64_t arrived_us);
  // Through the WebSocket's framing: false when the connection ended (failed or reconnected).
  bool take_websocket_bytes(std::string_view bytes, std::uint64_t arrived_us);
  void fail(const boost::system::error_code& error);
  // TLS: drives the handshake, waiting for what it asks for; connected once it is done.
  void continue_handshake();
  // Writes from `bytes` as much as the socket takes now; returns how much, or nullopt after fail().
  std::optional<std::size_t> write_now(std::string_view bytes);
  void read_tls();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  std::span<char> read_buffer_;
  Handler& handler_;
  SSL_CTX* tls_context_;
  std::unique_ptr<TlsLink> tls_;  // while connected with TLS
  std::string out_;  // bytes the socket did not take yet
  std::optional<WebSocketFraming> websocket_;
  std::string framed_;  // scratch: a WebSocket's frames out, or its lines in
  bool open_ = false;
  bool waiting_writable_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace chat::loadtest
