#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "common/line_framer.hpp"

namespace chat::loadtest {

// One TCP connection to the server, seen as lines in and lines out.
//
// Reads are reactor-style (wait until readable, then read into a buffer shared
// by every connection of the worker): thousands of idle connections then cost
// no read buffer each. Writes go straight to the socket and are queued only
// when it is full. Single-threaded: everything runs on one io_context thread.
// A connection may be closed and connected again; callbacks of an earlier
// socket are recognised by generation and dropped.
class ClientConnection {
 public:
  class Handler {
   public:
    virtual void on_connected() = 0;
    // arrived_us: when the read that brought the line returned (now_us()),
    // read once per read rather than once per line.
    virtual void on_line(std::string_view line, std::uint64_t arrived_us) = 0;
    // The peer closed or an I/O error occurred; not called after close().
    virtual void on_closed(const boost::system::error_code& error) = 0;

   protected:
    ~Handler() = default;
  };

  ClientConnection(boost::asio::io_context& io, std::span<char> shared_read_buffer, Handler& handler);
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Binds to source (port chosen at connect time, so that many connections
  // can share one source address) when given, then connects with TCP_NODELAY.
  void connect(const boost::asio::ip::tcp::endpoint& server,
               const std::optional<boost::asio::ip::address_v4>& source);
  // line must end with '\n'.
  void send(std::string_view line);
  void close() noexcept;
  bool is_open() const noexcept { return open_; }
  std::size_t queued_bytes() const noexcept { return out_.size(); }

 private:
  void wait_readable();
  void on_readable();
  void wait_writable();
  void write_queued();
  void fail(const boost::system::error_code& error);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  std::span<char> read_buffer_;
  Handler& handler_;
  LineFramer framer_;
  std::string out_;  // bytes the socket did not take yet
  bool open_ = false;
  bool waiting_writable_ = false;
  std::uint64_t generation_ = 0;
};

}  // namespace chat::loadtest
