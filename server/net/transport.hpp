#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

namespace chat {

// What a Session speaks the protocol over: plain TCP, TLS, or a WebSocket. It moves request bytes in and
// frames out; the session does everything else (framing, limits, deadlines, the outbound queue), so every
// transport has the same protocol, limits and replies.
//
// All calls come from the session's strand (executor()), as one reader and one writer: at most one
// read() or read_now() and at most one write at a time, and shutdown_send() only when no write is in
// flight. close() may come at any time on the strand and makes pending operations complete with an error.
class Transport {
 public:
  using Buffers = std::vector<boost::asio::const_buffer>;
  using WriteDone = std::function<void(boost::system::error_code)>;

  virtual ~Transport() = default;

  // The session's strand.
  virtual boost::asio::any_io_executor executor() = 0;

  // Runs once before the first read and the first write: the TLS handshake, say. A plain connection has
  // nothing to do. The session's deadlines bound it (its watchdog closes the transport).
  virtual boost::asio::awaitable<void> open(boost::system::error_code& ec) {
    ec = {};
    co_return;
  }

  // Waits for input and returns the bytes that came: protocol lines, or parts of them, each ended by
  // '\n' (a WebSocket message comes as its text and a '\n'). Valid until the next read.
  virtual boost::asio::awaitable<std::string_view> read(boost::system::error_code& ec) = 0;
  // Returns bytes that are there already, without waiting; `would_block` when there are none (or the
  // transport cannot tell without waiting). Called after read() until it says would_block, and what it
  // returns is handed out before the next call, so a peer sending fast never makes the session hold
  // more than one read's worth.
  virtual std::string_view read_now(boost::system::error_code& ec) = 0;

  // Writes as much of `frames` as it can now without waiting and returns how many bytes it wrote;
  // `would_block` and 0 when it can write none, or never writes without waiting. Each buffer is one
  // frame: one or more whole protocol lines.
  virtual std::size_t write_now(const Buffers& frames, boost::system::error_code& ec) = 0;
  // Writes all of `frames` and then calls `done` on the strand. The buffers stay valid until then. After
  // a write_now() that wrote part, `frames` starts where it stopped; a transport whose write_now() writes
  // nothing always gets whole frames.
  virtual void write(const Buffers& frames, WriteDone done) = 0;

  // After the last frame: tells the peer that nothing more comes (a FIN, or the transport's own closing
  // message), while input may still be read.
  virtual void shutdown_send() = 0;
  // Closes at once. `abortive`: what the peer did not read is dropped at once (a slow consumer that was
  // cut) instead of lingering in kernel buffers.
  virtual void close(bool abortive) = 0;

  // "tcp", "tls", "ws": for logs and metrics.
  virtual std::string_view name() const noexcept = 0;
};

}  // namespace chat
