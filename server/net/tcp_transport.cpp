#include "server/net/tcp_transport.hpp"

#include <span>

namespace chat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// What a wake-up reads beyond the connection's own small buffer: one buffer per io thread.
constexpr std::size_t kTcpReadChunk = 16 * 1024;

std::span<char> thread_read_buffer() {
  thread_local std::array<char, kTcpReadChunk> buffer;
  return buffer;
}
}  // namespace

TcpTransport::TcpTransport(tcp::socket socket) : socket_(std::move(socket)) {
  // Reads past the first bytes and writes are tried at once and must never block an io thread.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

void TcpTransport::async_read(ReadHandler done) {
  // The reactor's speculative read and its wake-up are race-free: the wait reads into the small buffer.
  socket_.async_read_some(asio::buffer(first_bytes_),
                          [this, done = std::move(done)](boost::system::error_code ec, std::size_t n) mutable {
                            last_read_full_ = !ec && n == first_bytes_.size();
                            done(ec, std::string_view(first_bytes_.data(), ec ? 0 : n));
                          });
}

std::string_view TcpTransport::read_now(boost::system::error_code& ec) {
  if (!last_read_full_) {
    ec = asio::error::would_block;
    return {};
  }
  const std::span<char> buffer = thread_read_buffer();
  const std::size_t n = socket_.read_some(asio::buffer(buffer.data(), buffer.size()), ec);
  last_read_full_ = !ec && n == buffer.size();
  return {buffer.data(), ec ? 0 : n};
}

std::size_t TcpTransport::write_now(const Buffers& frames, boost::system::error_code& ec) {
  return socket_.write_some(frames, ec);  // would_block when the kernel's buffer is full
}

void TcpTransport::write(const Buffers& frames, WriteDone done) {
  asio::async_write(socket_, frames,
                    [done = std::move(done)](boost::system::error_code ec, std::size_t) { done(ec); });
}

void TcpTransport::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

void TcpTransport::close(bool abortive) {
  boost::system::error_code ignored;
  if (abortive) socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace chat
