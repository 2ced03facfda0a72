#pragma once

#include <array>

#include "server/net/transport.hpp"

namespace chat {

// Plain TCP. The socket is non-blocking, so writes are tried at once: a reader that keeps up takes a
// whole batch in one system call, with no reactor round trip. The wait for input reads into a small
// buffer of the connection's own; when that fills, more is read one io-thread buffer at a time (shared
// by the connections of that thread), so an idle connection holds no large read buffer.
class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor executor() override { return socket_.get_executor(); }
  boost::asio::awaitable<std::string_view> read(boost::system::error_code& ec) override;
  std::string_view read_now(boost::system::error_code& ec) override;
  std::size_t write_now(const Buffers& frames, boost::system::error_code& ec) override;
  void write(const Buffers& frames, WriteDone done) override;
  void shutdown_send() override;
  void close(bool abortive) override;
  std::string_view name() const noexcept override { return "tcp"; }

 private:
  boost::asio::ip::tcp::socket socket_;
  // Most requests fit here whole: one system call per wake-up.
  std::array<char, 256> first_bytes_{};
  bool last_read_full_ = false;  // the last read filled its buffer: more may be waiting
};

}  // namespace chat
