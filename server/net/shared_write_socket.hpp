#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace chat {

// The socket under a WebSocketTransport's Beast stream, shared by two writers: Beast, which writes only its
// own frames here (the answer to the upgrade, pongs, close frames), and the transport, which frames a whole
// batch of messages itself and writes it in one gathered write (write_batch) — where Beast would write each
// message on its own, one system call and one turn of the event loop each. Neither starts while the other
// is writing, so no frame is ever cut by another: a batch waits until Beast's frame is written whole (Beast
// writes a control frame, at most 139 bytes, in one call unless the kernel's buffer is full), and Beast's
// write waits until the batch is written.
//
// Used only on the connection's strand, like the stream above it.
class SharedWriteSocket {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using next_layer_type = boost::asio::ip::tcp::socket;

  explicit SharedWriteSocket(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  next_layer_type& next_layer() noexcept { return socket_; }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
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
                   std::function<void(boost::system::error_code)> done);

 private:
  struct DeferredWrite {
    virtual ~DeferredWrite() = default;
    virtual void start() = 0;
  };
  template <class ConstBuffers, class Handler>
  struct Deferred final : DeferredWrite {
    Deferred(SharedWriteSocket& owner, const ConstBuffers& buffers, Handler handler)
        : owner(owner), buffers(buffers), handler(std::move(handler)) {}
    void start() override { owner.start_write(buffers, std::move(handler)); }
    SharedWriteSocket& owner;
    ConstBuffers buffers;
    Handler handler;
  };

  template <class ConstBuffers, class Handler>
  void start_write(const ConstBuffers& buffers, Handler&& handler) {
    beast_writing_ = true;
    const std::size_t size = boost::asio::buffer_size(buffers);
    auto executor = boost::asio::get_associated_executor(handler, socket_.get_executor());
    socket_.async_write_some(
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
  void start_waiting_batch();

  boost::asio::ip::tcp::socket socket_;
  bool beast_writing_ = false;
  bool batch_in_flight_ = false;
  std::unique_ptr<DeferredWrite> deferred_;  // Beast's write, waiting for the batch
  const std::vector<boost::asio::const_buffer>* waiting_batch_ = nullptr;  // waiting for Beast's frame
  std::function<void(boost::system::error_code)> waiting_done_;
};

// The closing of the connection under a WebSocket (Beast finds these by the stream's type).
void teardown(boost::beast::role_type role, SharedWriteSocket& socket, boost::system::error_code& ec);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, SharedWriteSocket& socket, TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, socket.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace chat
