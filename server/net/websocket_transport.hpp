#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <array>
#include <cstdint>
#include <string>
#include <memory>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server/net/https_stream.hpp"
#include "server/net/shared_write_stream.hpp"
#include "server/net/transport.hpp"

namespace chat {

// The chat protocol over a WebSocket (GET /ws on the operator HTTP port; docs/protocol.md, "WebSocket"):
// one request per text message in, one event or reply per text message out.
//
// In: each message is handed to the session as its text followed by '\n', so the session's line framer
// (and with it every limit) works as on TCP; a '\n' inside a message therefore separates requests, as it
// does on TCP. The message is read in pieces of a small buffer and counted: one longer than max_frame_bytes
// makes a read fail with asio::error::message_size, which the session answers like a line too long
// (`too_large`, then close code 1009). Beast's own message limit is off, since it would close with 1009
// before the session could say why. A binary message is not the protocol: a read reports the end of input
// (asio::error::eof), so that the requests before it are answered, and the close says 1003 (unsupported
// data). Beast answers pings by itself; they do not count as requests, so the idle deadline still holds.
//
// Out: a frame holds one or more '\n'-ended lines; each line goes out as one text message, without its '\n'.
// The transport frames a batch's messages itself and writes them in one write, as TCP writes a batch
// (SharedWriteStream keeps Beast's own frames apart from it). write_now() never writes: every write
// is asynchronous.
//
// Close: shutdown_send() and close(false) start the closing handshake with the code of the reason given
// to set_close_reason() (websocket_close_code()), bounded by kCloseTimeout whatever it waits for, a peer that
// reads nothing included (over TLS a close_notify follows);
// pending reads end once the peer answers it. close(true) cuts the connection at once. The stream is shared with the closing handshake, which may
// outlive this object: the session may be gone before the peer's answer comes.
//
// NextLayer: a TCP socket (ws:), or an HttpsStream whose TLS handshake the HTTP listener has made (wss:). One
// implementation for both: only how the connection under the TLS, if any, is reached differs.
//
// Like every Transport: used only on its strand, by one reader and one writer.
template <class NextLayer>
class BasicWebSocketTransport final : public Transport {
 public:
  using Stream = boost::beast::websocket::stream<SharedWriteStream<NextLayer>>;
  using Request = boost::beast::http::request<boost::beast::http::empty_body>;

  // How long a closing handshake (and the opening one) may take before the connection is cut.
  static constexpr std::chrono::seconds kCloseTimeout{5};

  // `next` is on the session's strand; `request` is the upgrade request, already read and checked
  // (websocket_upgrade.hpp). max_message_bytes: limits.max_frame_bytes.
  BasicWebSocketTransport(NextLayer next, Request request, std::size_t max_message_bytes);
  ~BasicWebSocketTransport() override;

  boost::asio::any_io_executor executor() override { return executor_; }
  // Answers the upgrade (101 Switching Protocols).
  boost::asio::awaitable<void> open(boost::system::error_code& ec) override;
  void async_read(ReadHandler done) override;
  std::string_view read_now(boost::system::error_code& ec) override;
  std::size_t write_now(const Buffers& frames, boost::system::error_code& ec) override;
  void write(const Buffers& frames, WriteDone done) override;
  void set_close_reason(DisconnectReason reason) override { reason_ = reason; }
  void shutdown_send() override;
  void close(bool abortive) override;
  std::string_view name() const noexcept override { return "ws"; }

 private:
  // What a read of `n` bytes gives the session: the text (and a '\n' at the end of a message), or an error.
  std::string_view take_read(boost::system::error_code& ec, std::size_t n);
  // Starts the closing handshake once; what the peer still sends meanwhile is read and dropped by Beast.
  void start_close();
  // The TCP socket at the bottom, under the TLS if any.
  boost::asio::ip::tcp::socket& socket() noexcept;

  const boost::asio::any_io_executor executor_;
  const std::shared_ptr<Stream> ws_;
  Request request_;  // until open()
  const std::size_t max_message_bytes_;
  std::unique_ptr<char[]> read_buffer_;  // kReadChunk + 1 for the '\n'
  std::size_t message_bytes_ = 0;        // of the message being read
  DisconnectReason reason_ = DisconnectReason::ClientClosed;
  bool binary_ = false;   // a binary message came: the close says 1003
  bool closing_ = false;  // the closing handshake has begun

  // The write in flight: its messages framed, one after another.
  std::string out_;
  std::vector<boost::asio::const_buffer> gather_;
};

// Chat over ws: and over wss: (the HTTP listener with http.tls on); both count as transport "ws".
using WebSocketTransport = BasicWebSocketTransport<boost::asio::ip::tcp::socket>;
using SecureWebSocketTransport = BasicWebSocketTransport<HttpsStream>;
extern template class BasicWebSocketTransport<boost::asio::ip::tcp::socket>;
extern template class BasicWebSocketTransport<HttpsStream>;

// The close code for a session's reason: 1000 normal, 1001 going away (shutdown), 1009 too big,
// 1008 policy (rate abuse, deadlines, slow consumer), 1013 try again later (refused), 1011 otherwise.
boost::beast::websocket::close_code websocket_close_code(DisconnectReason reason) noexcept;

}  // namespace chat
