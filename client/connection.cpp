#include "client/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace chat::client {

Connection::Connection(asio::any_io_executor executor) : socket_(std::move(executor)) {}

asio::awaitable<void> Connection::connect(const std::string& host, std::uint16_t port,
                                          std::chrono::milliseconds timeout) {
  auto executor = socket_.get_executor();
  asio::ip::tcp::resolver resolver(executor);
  // Closing the socket (and cancelling the lookup) is what ends a connect
  // that hangs, e.g. to a host that drops packets.
  asio::steady_timer deadline(executor, timeout);
  deadline.async_wait([self = shared_from_this(), &resolver](boost::system::error_code ec) {
    if (ec) return;
    resolver.cancel();
    boost::system::error_code ignored;
    self->socket_.close(ignored);
  });
  const auto endpoints = co_await resolver.async_resolve(host, std::to_string(port), asio::use_awaitable);
  co_await asio::async_connect(socket_, endpoints, asio::use_awaitable);
  deadline.cancel();
  socket_.set_option(asio::ip::tcp::no_delay(true));
}

asio::awaitable<std::string> Connection::read_line() {
  for (;;) {
    if (const auto line = framer_.next_line()) co_return std::string(*line);
    if (framer_.failed()) throw boost::system::system_error(asio::error::message_size, "line from server too long");
    const std::size_t n = co_await socket_.async_read_some(asio::buffer(read_buffer_), asio::use_awaitable);
    framer_.append(std::string_view(read_buffer_.data(), n));
  }
}

void Connection::send(std::string line) {
  if (!socket_.is_open()) return;
  outbox_.push_back(std::move(line));
  if (!writing_) write_next();
}

void Connection::write_next() {
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

void Connection::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  // The outbox is left to the write chain, which may still hold its front.
  socket_.close(ignored);
}

}  // namespace chat::client
