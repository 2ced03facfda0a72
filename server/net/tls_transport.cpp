#include "server/net/tls_transport.hpp"

namespace chat {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

TlsTransport::TlsTransport(tcp::socket socket, std::shared_ptr<ssl::context> context)
    : context_(std::move(context)),
      stream_(std::make_shared<Stream>(std::move(socket), *context_)),
      executor_(stream_->get_executor()) {}

TlsTransport::~TlsTransport() = default;

asio::awaitable<void> TlsTransport::open(boost::system::error_code& ec) {
  co_await stream_->async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
}

void TlsTransport::async_read(ReadHandler done) {
  stream_->async_read_some(asio::buffer(read_buffer_), [this, done = std::move(done)](boost::system::error_code ec,
                                                                                       std::size_t n) mutable {
    // The peer's close_notify is the orderly end of its input: eof, as a FIN is on plain TCP. A FIN without
    // close_notify (stream_truncated) could be a truncation attack; nothing acts on input that never came, so
    // it ends the connection the same way.
    if (ec == ssl::error::stream_truncated) ec = asio::error::eof;
    done(ec, std::string_view(read_buffer_.data(), ec ? 0 : n));
  });
}

std::string_view TlsTransport::read_now(boost::system::error_code& ec) {
  ec = asio::error::would_block;
  return {};
}

std::size_t TlsTransport::write_now(const Buffers&, boost::system::error_code& ec) {
  ec = asio::error::would_block;
  return 0;
}

void TlsTransport::write(const Buffers& frames, WriteDone done) {
  write_buffer_.reserve(asio::buffer_size(frames));
  for (const auto& frame : frames) write_buffer_.append(static_cast<const char*>(frame.data()), frame.size());
  asio::async_write(*stream_, asio::buffer(write_buffer_),
                    [this, done = std::move(done)](boost::system::error_code ec, std::size_t) {
                      // The session outlives its write (it holds itself until done runs), so `this` does too.
                      std::string().swap(write_buffer_);
                      done(ec);
                    });
}

void TlsTransport::shutdown_send() {
  // Sends close_notify, the TLS end of output: a peer that sees a bare FIN cannot tell an orderly end from a
  // truncation. async_shutdown then waits for the peer's close_notify; the session's reader sees that (or the
  // peer's FIN) as eof and closes, which ends the wait. The handler holds the stream, so the session may go
  // first.
  stream_->async_shutdown([stream = stream_, context = context_](boost::system::error_code) {});
}

void TlsTransport::close(bool abortive) {
  boost::system::error_code ignored;
  auto& socket = stream_->next_layer();
  if (abortive) socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace chat
