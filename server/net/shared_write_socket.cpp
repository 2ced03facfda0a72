#include "server/net/shared_write_socket.hpp"

namespace chat {

namespace asio = boost::asio;

void SharedWriteSocket::write_batch(const std::vector<asio::const_buffer>& buffers,
                                    std::function<void(boost::system::error_code)> done) {
  if (beast_writing_) {
    waiting_batch_ = &buffers;
    waiting_done_ = std::move(done);
    return;
  }
  batch_in_flight_ = true;
  asio::async_write(socket_, buffers, [this, done = std::move(done)](boost::system::error_code ec, std::size_t) {
    batch_in_flight_ = false;
    // Beast's frame goes out before the transport hears of this, so its next batch cannot overtake it.
    if (auto deferred = std::move(deferred_)) deferred->start();
    done(ec);
  });
}

void SharedWriteSocket::start_waiting_batch() {
  if (!waiting_batch_) return;
  const auto* batch = std::exchange(waiting_batch_, nullptr);
  write_batch(*batch, std::exchange(waiting_done_, nullptr));
}

void teardown(boost::beast::role_type role, SharedWriteSocket& socket, boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, socket.next_layer(), ec);
}

}  // namespace chat
