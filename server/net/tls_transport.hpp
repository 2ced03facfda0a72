#pragma once

#include <array>
#include <memory>
#include <string>

#include <boost/asio/ssl.hpp>

#include "server/net/transport.hpp"

namespace chat {

// TLS over TCP (boost::asio::ssl::stream, OpenSSL). open() is the server side of the handshake; the session's
// watchdog bounds it (server.tls_handshake_timeout_ms) by closing the transport.
//
// Nothing is ever read or written synchronously: the SSL engine may consume socket bytes during a call that
// then reports "would block", and a synchronous call on the non-blocking socket would lose them. So
// read_now() and write_now() always say would_block, and every read and write goes through the stream's
// asynchronous operations, which keep the engine's state across waits. write() gathers the session's frames
// into one contiguous buffer, so a batch becomes as few TLS records as its size allows (not one per frame);
// the buffer is released once written, so an idle connection holds none.
//
// The context is the one current when the connection was accepted (TlsCredentials::current()): a reload
// changes the context of later connections only. Thread-safety: as Transport, on the session's strand only.
class TlsTransport final : public Transport {
 public:
  TlsTransport(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> context);
  ~TlsTransport() override;

  boost::asio::any_io_executor executor() override { return executor_; }
  boost::asio::awaitable<void> open(boost::system::error_code& ec) override;
  void async_read(ReadHandler done) override;
  std::string_view read_now(boost::system::error_code& ec) override;
  std::size_t write_now(const Buffers& frames, boost::system::error_code& ec) override;
  void write(const Buffers& frames, WriteDone done) override;
  void shutdown_send() override;
  void close(bool abortive) override;
  std::string_view name() const noexcept override { return "tls"; }

 private:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

  // The context first: the stream's SSL object refers to it. Both shared, so that a close_notify still being
  // sent when the session goes keeps them alive until its handler runs.
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::shared_ptr<Stream> stream_;
  boost::asio::any_io_executor executor_;
  std::string write_buffer_;                // the batch being written; empty between writes
  std::array<char, 2048> read_buffer_{};    // plaintext of one read; the engine keeps its own record buffer
};

}  // namespace chat
