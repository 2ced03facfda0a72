#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace chat {

// The stream under a WebSocketTransport's Beast stream — a TCP socket, or TLS over one (WSS) — shared by two
// writers: Beast, which writes only its own frames here (the answer to the upgrade, pongs, close frames), and
// the transport, which frames a whole batch of messages itself and writes it in one gathered write
// (write_batch) — where Beast would write each message on its own, one system call and one turn of the event
// loop each. Neither starts while the other is writing, so no frame is ever cut by another: a batch waits
// until Beast's frame is written whole (Beast writes a control frame, at most 139 bytes, in one call unless
// the kernel's buffer is full), and Beast's write waits until the batch is written.
//
// Used only on the connection's strand, like the stream above it.
template <class NextLayer>
class SharedWriteStream {
 public:
  using executor_type = typename NextLayer::executor_type;
  using next_layer_type = NextLayer;

  explicit SharedWriteStream(NextLayer next) : next_(std::move(next)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Beast's writes.
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (batch_in_flight_) {
      deferred_ = std::make_unique<Deferred<ConstBuffers, std::decay_t<Handler>>>(*this, buffers,
                                                                                  std::forward<Handler>(handler));
      return;
    }
    start_write(buffers, std::forward<Handler>(handler));
  }

  // The transport's: writes all of `buffers` (valid until `done`), then calls `done` on the strand.
  void write_batch(const std::vector<boost::asio::const_buffer>& buffers,
                   std::function<void(boost::system::error_code)> done) {
    if (beast_writing_) {
      waiting_batch_ = &buffers;
      waiting_done_ = std::move(done);
      return;
    }
    batch_in_flight_ = true;
    boost::asio::async_write(next_, buffers,
                             [this, done = std::move(done)](boost::system::error_code ec, std::size_t) {
                               batch_in_flight_ = false;
                               // Beast's frame goes out before the transport hears of this, so its next batch
                               // cannot overtake it.
                               if (auto deferred = std::move(deferred_)) deferred->start();
                               done(ec);
                             });
  }

 private:
  struct DeferredWrite {
    virtual ~DeferredWrite() = default;
    virtual void start() = 0;
  };
  template <class ConstBuffers, class Handler>
  struct Deferred final : DeferredWrite {
    Deferred(SharedWriteStream& owner, const ConstBuffers& buffers, Handler handler)
        : owner(owner), buffers(buffers), handler(std::move(handler)) {}
    void start() override { owner.start_write(buffers, std::move(handler)); }
    SharedWriteStream& owner;
    ConstBuffers buffers;
    Handler handler;
  };

  template <class ConstBuffers, class Handler>
  void start_write(const ConstBuffers& buffers, Handler&& handler) {
    beast_writing_ = true;
    const std::size_t size = boost::asio::buffer_size(buffers);
    auto executor = boost::asio::get_associated_executor(handler, next_.get_executor());
    next_.async_write_some(
        buffers, boost::asio::bind_executor(executor, [this, size, handler = std::forward<Handler>(handler)](
                                                          boost::system::error_code ec, std::size_t n) mutable {
          // A frame written in part is continued by Beast's next call: the batch waits for the whole of it.
          if (ec || n == size) {
            beast_writing_ = false;
            start_waiting_batch();
          }
          handler(ec, n);
        }));
  }

  void start_waiting_batch() {
    if (!waiting_batch_) return;
    const auto* batch = std::exchange(waiting_batch_, nullptr);
    write_batch(*batch, std::exchange(waiting_done_, nullptr));
  }

  NextLayer next_;
  bool beast_writing_ = false;
  bool batch_in_flight_ = false;
  std::unique_ptr<DeferredWrite> deferred_;  // Beast's write, waiting for the batch
  const std::vector<boost::asio::const_buffer>* waiting_batch_ = nullptr;  // waiting for Beast's frame
  std::function<void(boost::system::error_code)> waiting_done_;
};

// The closing of the connection under a WebSocket (Beast finds these by the stream's type): the next layer's
// own — a socket's shutdown, or TLS's close_notify first.
template <class NextLayer>
void teardown(boost::beast::role_type role, SharedWriteStream<NextLayer>& stream, boost::system::error_code& ec) {
  using boost::beast::teardown;
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, SharedWriteStream<NextLayer>& stream, TeardownHandler&& handler) {
  using boost::beast::async_teardown;
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace chat
