#include "client/line_socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "client/tls_client_context.hpp"

namespace chat::client {

LineSocket::LineSocket(asio::any_io_executor executor, std::shared_ptr<asio::ssl::context> tls)
    : socket_(std::move(executor)), tls_context_(std::move(tls)) {}

namespace {

// What the deadline of one connect attempt shares with the attempt. The
// timer's handler owns it, so the handler can never touch a resolver or a
// flag that died with the coroutine frame; `finished` stops a handler that
// was already queued when the connect completed in the same loop turn.
struct ConnectAttempt {
  ConnectAttempt(const asio::any_io_executor& executor, std::chrono::milliseconds timeout)
      : resolver(executor), deadline(executor, timeout) {}

  asio::ip::tcp::resolver resolver;
  asio::steady_timer deadline;
  bool finished = false;  // the attempt is over, whichever way: the deadline must not act
  bool expired = false;   // the deadline ended the attempt
};

}  // namespace

asio::awaitable<void> LineSocket::connect(const std::string& host, std::uint16_t port,
                                          std::chrono::milliseconds timeout) {
  auto attempt = std::make_shared<ConnectAttempt>(socket_.get_executor(), timeout);
  // Closing the socket (and cancelling the lookup) is what ends a connect
  // that hangs, e.g. to a host that drops packets.
  attempt->deadline.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
    if (ec || attempt->finished) return;
    attempt->expired = true;
    attempt->resolver.cancel();
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
  // On every way out, success or exception: the deadline is disarmed, and
  // its cancelled handler releases the attempt.
  struct Finish {
    ConnectAttempt& attempt;
    ~Finish() {
      attempt.finished = true;
      attempt.deadline.cancel();
    }
  } finish{*attempt};

  try {
    const auto endpoints =
        co_await attempt->resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
    co_await asio::async_connect(socket_, endpoints, asio::use_awaitable);
    socket_.set_option(asio::ip::tcp::no_delay(true));
    if (tls_context_) co_await handshake(host);
  } catch (const boost::system::system_error&) {
    if (!attempt->expired) throw;
  }
  // The deadline may have fired in the turn the connect completed in, before
  // this coroutine resumed: then it closed the socket, and it counts as a timeout.
  if (attempt->expired) throw boost::system::system_error(asio::error::timed_out);
}

asio::awaitable<void> LineSocket::handshake(const std::string& host) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  prepare_client_stream(*tls_, host);
  boost::system::error_code ec;
  co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_return;
  // "certificate verify failed" alone does not say what to do about it; the verification's own reason does.
  std::string what = "TLS handshake failed";
  if (const long verify = SSL_get_verify_result(tls_->native_handle()); verify != X509_V_OK) {
    what += ": certificate verify failed: ";
    what += X509_verify_cert_error_string(verify);
    throw boost::system::system_error(ec, what);
  }
  throw boost::system::system_error(ec, what);
}

asio::awaitable<std::string> LineSocket::read_line() {
  for (;;) {
    if (const auto line = framer_.next_line()) co_return std::string(*line);
    if (framer_.failed()) throw boost::system::system_error(asio::error::message_size, "line from server too long");
    const std::size_t n = tls_ ? co_await tls_->async_read_some(asio::buffer(read_buffer_), asio::use_awaitable)
                               : co_await socket_.async_read_some(asio::buffer(read_buffer_), asio::use_awaitable);
    framer_.append(std::string_view(read_buffer_.data(), n));
  }
}

void LineSocket::send(std::string line) {
  if (!socket_.is_open()) return;
  outbox_.push_back(std::move(line));
  if (!writing_) write_next();
}

void LineSocket::write_next() {
  writing_ = true;
  auto on_written = [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
    if (ec) {
      self->outbox_.clear();
      self->writing_ = false;
      self->close();
      return;
    }
    self->outbox_.pop_front();
    if (self->outbox_.empty()) {
      self->writing_ = false;
    } else {
      self->write_next();
    }
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(outbox_.front()), std::move(on_written));
  } else {
    asio::async_write(socket_, asio::buffer(outbox_.front()), std::move(on_written));
  }
}

void LineSocket::close() {
  // Over TLS too, only the TCP connection is closed: the server reads the end of its input as such, and
  // nothing is left that a close_notify would protect.
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  // The outbox is left to the write chain, which may still hold its front.
  socket_.close(ignored);
}

}  // namespace chat::client
