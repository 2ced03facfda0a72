#include "client/line_socket.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace chat::client {

LineSocket::LineSocket(asio::any_io_executor executor) : socket_(std::move(executor)) {}

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
  } catch (const boost::system::system_error&) {
    if (!attempt->expired) throw;
  }
  // The deadline may have fired in the turn the connect completed in, before
  // this coroutine resumed: then it closed the socket, and it counts as a timeout.
  if (attempt->expired) throw boost::system::system_error(asio::error::timed_out);
  socket_.set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<std::string> LineSocket::read_line() {
  for (;;) {
    if (const auto line = framer_.next_line()) co_return std::string(*line);
    if (framer_.failed()) throw boost::system::system_error(asio::error::message_size, "line from server too long");
    const std::size_t n = co_await socket_.async_read_some(asio::buffer(read_buffer_), asio::use_awaitable);
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
  asio::async_write(socket_, asio::buffer(outbox_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
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
                    });
}

void LineSocket::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  // The outbox is left to the write chain, which may still hold its front.
  socket_.close(ignored);
}

}  // namespace chat::client
