#include "loadtest/client_connection.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>

#include "loadtest/clock.hpp"

namespace chat::loadtest {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

}  // namespace

ClientConnection::ClientConnection(asio::io_context& io, std::span<char> shared_read_buffer, Handler& handler,
                                   SSL_CTX* tls)
    : io_(io), socket_(io), read_buffer_(shared_read_buffer), handler_(handler), tls_context_(tls) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::connect(const tcp::endpoint& server, const std::optional<asio::ip::address_v4>& source) {
  close();
  const auto generation = generation_;
  boost::system::error_code ec;
  socket_.open(tcp::v4(), ec);
  if (!ec && source) {
    // Without this the port is picked at bind() time, unique per address
    // across all sockets, which caps a source address at the ephemeral range
    // even though the 4-tuple would allow more.
    const int on = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
    socket_.bind(tcp::endpoint(*source, 0), ec);
  }
  if (ec) {
    asio::post(io_, [this, generation, ec] {
      if (generation == generation_) fail(ec);
    });
    return;
  }
  open_ = true;
  socket_.async_connect(server, [this, generation, server](const boost::system::error_code& error) {
    if (generation != generation_) return;
    if (error) return fail(error);
    boost::system::error_code option_error;
    socket_.set_option(tcp::no_delay(true), option_error);
    socket_.non_blocking(true, option_error);
    if (option_error) return fail(option_error);
    if (tls_context_) {
      tls_ = std::make_unique<TlsLink>(tls_context_, socket_.native_handle(), server.address().to_string());
      return continue_handshake();
    }
    wait_readable();
    start_session();
  });
}

void ClientConnection::start_session() {
  if (!websocket_) return handler_.on_connected();
  // Connected for the handler once the upgrade is answered (take_websocket_bytes).
  websocket_->reset();
  write_bytes(websocket_->upgrade_request());
}

void ClientConnection::continue_handshake() {
  const auto status = tls_->handshake();
  if (status == TlsLink::Status::Ok) {
    wait_readable();
    start_session();
    return;
  }
  if (status == TlsLink::Status::Failed) return fail(tls_->error());
  if (status == TlsLink::Status::Closed) return fail(asio::error::eof);
  const auto generation = generation_;
  socket_.async_wait(status == TlsLink::Status::WantRead ? tcp::socket::wait_read : tcp::socket::wait_write,
                     [this, generation](const boost::system::error_code& error) {
                       if (generation != generation_) return;
                       if (error) return fail(error);
                       continue_handshake();
                     });
}

std::optional<std::size_t> ClientConnection::write_now(std::string_view bytes) {
  if (!tls_) {
    boost::system::error_code ec;
    const std::size_t written = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec && ec != asio::error::would_block) {
      fail(ec);
      return std::nullopt;
    }
    return written;
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    std::size_t n = 0;
    const auto status = tls_->write(bytes.data() + written, bytes.size() - written, n);
    if (status == TlsLink::Status::Ok) {
      written += n;
      continue;
    }
    if (status == TlsLink::Status::Failed || status == TlsLink::Status::Closed) {
      fail(status == TlsLink::Status::Failed ? tls_->error() : asio::error::eof);
      return std::nullopt;
    }
    break;  // the socket is full: the rest waits, and is retried from where it stopped
  }
  return written;
}

void ClientConnection::send(std::string_view bytes) {
  if (!websocket_) return write_bytes(bytes);
  framed_.clear();
  websocket_->encode(bytes, framed_);
  write_bytes(framed_);
}

bool ClientConnection::deliver(std::string_view bytes, std::uint64_t arrived_us) {
  if (websocket_) return take_websocket_bytes(bytes, arrived_us);
  const auto generation = generation_;
  handler_.on_bytes(bytes, arrived_us);
  return generation == generation_;
}

bool ClientConnection::take_websocket_bytes(std::string_view bytes, std::uint64_t arrived_us) {
  const auto generation = generation_;
  const bool was_open = websocket_->is_open();
  std::string replies;
  framed_.clear();
  const auto result = websocket_->take(bytes, framed_, replies);
  if (!replies.empty()) write_bytes(replies);
  if (generation != generation_) return false;
  if (!was_open && websocket_->is_open()) {
    handler_.on_connected();
    if (generation != generation_) return false;
  }
  if (!framed_.empty()) {
    const std::string lines = std::move(framed_);  // the handler may send, which reuses framed_
    handler_.on_bytes(lines, arrived_us);
    if (generation != generation_) return false;
  }
  switch (result) {
    case WebSocketFraming::Result::Ok:
      return true;
    case WebSocketFraming::Result::Closed:
      fail(asio::error::eof);
      return false;
    case WebSocketFraming::Result::Refused:
      fail(asio::error::connection_refused);
      return false;
    case WebSocketFraming::Result::Malformed:
      break;
  }
  fail(asio::error::invalid_argument);
  return false;
}

void ClientConnection::write_bytes(std::string_view bytes) {
  if (!open_) return;
  if (out_.empty()) {
    const auto written = write_now(bytes);
    if (!written) return;
    bytes.remove_prefix(*written);
    if (bytes.empty()) return;
  }
  out_.append(bytes);
  wait_writable();
}

void ClientConnection::wait_writable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  const auto generation = generation_;
  socket_.async_wait(tcp::socket::wait_write, [this, generation](const boost::system::error_code& error) {
    if (generation != generation_) return;
    waiting_writable_ = false;
    if (error) return fail(error);
    write_queued();
  });
}

void ClientConnection::write_queued() {
  const auto written = write_now(out_);
  if (!written) return;
  out_.erase(0, *written);
  if (!out_.empty()) wait_writable();
}

void ClientConnection::wait_readable() {
  const auto generation = generation_;
  socket_.async_wait(tcp::socket::wait_read, [this, generation](const boost::system::error_code& error) {
    if (generation != generation_) return;
    if (error) return fail(error);
    on_readable();
  });
}

void ClientConnection::read_tls() {
  // Until OpenSSL wants more from the socket: a record it has whole is not announced by the socket again.
  while (true) {
    std::size_t n = 0;
    const auto status = tls_->read(read_buffer_.data(), read_buffer_.size(), n);
    if (status == TlsLink::Status::Ok) {
      if (!deliver(std::string_view(read_buffer_.data(), n), now_us())) return;  // closed or reconnected
      continue;
    }
    if (status == TlsLink::Status::Closed) return fail(asio::error::eof);
    if (status == TlsLink::Status::Failed) return fail(tls_->error());
    break;  // WantRead (or, rarely, WantWrite: the socket's next readiness retries it)
  }
  wait_readable();
}

void ClientConnection::on_readable() {
  if (tls_) return read_tls();
  while (true) {
    boost::system::error_code ec;
    const std::size_t n = socket_.read_some(asio::buffer(read_buffer_.data(), read_buffer_.size()), ec);
    if (ec == asio::error::would_block) break;
    if (ec) return fail(ec);
    if (!deliver(std::string_view(read_buffer_.data(), n), now_us())) return;  // closed or reconnected
    // A short read almost always means the socket is drained: skip the
    // read that would only report EAGAIN.
    if (n < read_buffer_.size()) break;
  }
  wait_readable();
}

void ClientConnection::fail(const boost::system::error_code& error) {
  close();
  handler_.on_closed(error);
}

void ClientConnection::close() noexcept {
  ++generation_;
  open_ = false;
  waiting_writable_ = false;
  out_.clear();
  tls_.reset();  // before its socket
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace chat::loadtest
