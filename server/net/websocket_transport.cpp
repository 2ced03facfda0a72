#include "server/net/websocket_transport.hpp"

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"

namespace chat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
// What one read takes of a message: the connection's own buffer, so a message in pieces costs no more.
constexpr std::size_t kWebSocketReadChunk = 4096;
// The write buffer kept between batches; a larger one is released once written.
constexpr std::size_t kKeptWriteBuffer = 16 * 1024;

tcp::socket& bottom_socket(tcp::socket& socket) noexcept { return socket; }
tcp::socket& bottom_socket(HttpsStream& stream) noexcept { return stream.next_layer().socket(); }

// Cuts the connection: a reset, not a FIN, so that nothing the peer has not read stays queued in the kernel.
void abort_socket(tcp::socket& socket) noexcept {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace

template <class NextLayer>
BasicWebSocketTransport<NextLayer>::BasicWebSocketTransport(NextLayer next, Request request,
                                                            std::size_t max_message_bytes)
    : executor_(bottom_socket(next).get_executor()),
      ws_(std::make_shared<Stream>(std::move(next))),
      request_(std::move(request)),
      max_message_bytes_(max_message_bytes),
      read_buffer_(std::make_unique<char[]>(kWebSocketReadChunk + 1)) {
  boost::system::error_code ignored;
  this->socket().set_option(tcp::no_delay(true), ignored);
  // The session enforces the size (with its own reply) and every deadline but the handshakes'.
  ws_->read_message_max(0);
  ws_->auto_fragment(false);
  ws_->text(true);
  websocket::stream_base::timeout timeout{};
  timeout.handshake_timeout = kCloseTimeout;
  timeout.idle_timeout = websocket::stream_base::none();
  timeout.keep_alive_pings = false;
  ws_->set_option(timeout);
  ws_->set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast::http::field::server, std::string(protocol::kServerName));
  }));
}

// Without a closing handshake under way nothing else holds the stream, and its socket closes with it.
template <class NextLayer>
BasicWebSocketTransport<NextLayer>::~BasicWebSocketTransport() = default;

template <class NextLayer>
tcp::socket& BasicWebSocketTransport<NextLayer>::socket() noexcept {
  return bottom_socket(ws_->next_layer().next_layer());
}

template <class NextLayer>
asio::awaitable<void> BasicWebSocketTransport<NextLayer>::open(boost::system::error_code& ec) {
  co_await ws_->async_accept(request_, asio::redirect_error(asio::use_awaitable, ec));
  request_ = {};
}

template <class NextLayer>
void BasicWebSocketTransport<NextLayer>::async_read(ReadHandler done) {
  if (ws_->is_message_done()) message_bytes_ = 0;  // the previous message is whole: a new one begins
  ws_->async_read_some(asio::buffer(read_buffer_.get(), kWebSocketReadChunk),
                       [this, done = std::move(done)](boost::system::error_code ec, std::size_t n) mutable {
                         done(ec, take_read(ec, n));
                       });
}

template <class NextLayer>
std::string_view BasicWebSocketTransport<NextLayer>::take_read(boost::system::error_code& ec, std::size_t n) {
  if (ec == websocket::error::closed) {
    ec = asio::error::eof;  // the peer closed (the handshake is complete): the end of its input
    return {};
  }
  if (ec) return {};
  if (ws_->got_binary()) {
    binary_ = true;
    ec = asio::error::eof;
    return {};
  }
  message_bytes_ += n;
  if (message_bytes_ > max_message_bytes_) {
    ec = asio::error::message_size;
    return {};
  }
  std::size_t size = n;
  if (ws_->is_message_done()) read_buffer_[size++] = '\n';
  return {read_buffer_.get(), size};
}

template <class NextLayer>
std::string_view BasicWebSocketTransport<NextLayer>::read_now(boost::system::error_code& ec) {
  ec = asio::error::would_block;
  return {};
}

template <class NextLayer>
std::size_t BasicWebSocketTransport<NextLayer>::write_now(const Buffers&, boost::system::error_code& ec) {
  ec = asio::error::would_block;
  return 0;
}

namespace {

// A server's frame header for a whole text message (FIN, opcode 1, never masked): 2, 4 or 10 bytes.
std::size_t text_frame_header(std::size_t length, std::array<char, 10>& header) {
  header[0] = static_cast<char>(0x81);
  if (length < 126) {
    header[1] = static_cast<char>(length);
    return 2;
  }
  if (length <= 0xFFFF) {
    header[1] = static_cast<char>(126);
    header[2] = static_cast<char>(length >> 8);
    header[3] = static_cast<char>(length & 0xFF);
    return 4;
  }
  header[1] = static_cast<char>(127);
  for (int i = 0; i < 8; ++i) header[2 + i] = static_cast<char>((std::uint64_t{length} >> (56 - 8 * i)) & 0xFF);
  return 10;
}

}  // namespace

template <class NextLayer>
void BasicWebSocketTransport<NextLayer>::write(const Buffers& frames, WriteDone done) {
  if (!ws_->is_open()) {
    // Closed (the peer's close frame was answered): nothing more may be sent.
    return asio::post(executor_, [done = std::move(done)] { done(websocket::error::closed); });
  }
  // Copied into one buffer: a gathered write of two buffers per message would take a system call per 32
  // messages (Asio gathers at most 64 buffers), and the copy costs less than that.
  out_.clear();
  std::array<char, 10> header;
  for (const auto& frame : frames) {
    std::string_view text(static_cast<const char*>(frame.data()), frame.size());
    for (std::size_t end; !text.empty(); text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1)) {
      end = text.find('\n');
      const auto line = text.substr(0, end);
      if (line.empty()) continue;
      out_.append(header.data(), text_frame_header(line.size(), header));
      out_.append(line);
    }
  }
  gather_.assign(1, asio::buffer(out_));
  ws_->next_layer().write_batch(gather_, [this, done = std::move(done)](boost::system::error_code ec) {
    // A burst's large buffer is given back; a steady stream of small batches keeps its own.
    if (out_.capacity() > kKeptWriteBuffer) std::string().swap(out_);
    done(ec);
  });
}

template <class NextLayer>
void BasicWebSocketTransport<NextLayer>::shutdown_send() { start_close(); }

template <class NextLayer>
void BasicWebSocketTransport<NextLayer>::start_close() {
  if (std::exchange(closing_, true)) return;
  if (!ws_->is_open()) {
    // The peer closed first (Beast answered it), or the opening handshake never ended: nothing to say.
    close(true);
    return;
  }
  websocket::close_reason reason(binary_ ? websocket::close_code::unknown_data : websocket_close_code(reason_));
  const std::string_view text = binary_ ? "binary messages are not accepted" : to_string(reason_);
  reason.reason.assign(text.data(), text.size());
  // Beast's own close timer starts only once its close frame may be written. A peer that reads nothing can
  // keep that from ever happening: Beast answers a ping from inside the pending read, and a pong that cannot
  // be written holds Beast's write side, and with it the close, for as long as the peer keeps its window shut.
  // So the whole handshake has this deadline of its own, which cuts the connection whatever it waits for.
  auto deadline = std::make_shared<asio::steady_timer>(executor_, kCloseTimeout);
  deadline->async_wait([ws = ws_](boost::system::error_code ec) {
    if (!ec) abort_socket(bottom_socket(ws->next_layer().next_layer()));
  });
  // The handlers keep the stream until the handshake ends, whether or not this transport still exists.
  ws_->async_close(reason, [ws = ws_, deadline](boost::system::error_code) {
    deadline->cancel();
    boost::system::error_code ignored;
    bottom_socket(ws->next_layer().next_layer()).close(ignored);
  });
}

template <class NextLayer>
void BasicWebSocketTransport<NextLayer>::close(bool abortive) {
  if (!abortive) return start_close();
  closing_ = true;
  abort_socket(socket());
}

websocket::close_code websocket_close_code(DisconnectReason reason) noexcept {
  switch (reason) {
    case DisconnectReason::ClientClosed:
      return websocket::close_code::normal;
    case DisconnectReason::Shutdown:
      return websocket::close_code::going_away;
    case DisconnectReason::TooLarge:
      return websocket::close_code::too_big;
    case DisconnectReason::RateAbuse:
    case DisconnectReason::SlowConsumer:
    case DisconnectReason::IdleTimeout:
    case DisconnectReason::LoginTimeout:
    case DisconnectReason::LineTimeout:
    case DisconnectReason::HandshakeTimeout:
    case DisconnectReason::NameLost:
      return websocket::close_code::policy_error;
    case DisconnectReason::HandshakeFailed:
      return websocket::close_code::protocol_error;
    case DisconnectReason::Refused:
      return websocket::close_code::try_again_later;
    case DisconnectReason::IoError:
      break;
  }
  return websocket::close_code::internal_error;
}

template class BasicWebSocketTransport<tcp::socket>;
template class BasicWebSocketTransport<HttpsStream>;

}  // namespace chat
