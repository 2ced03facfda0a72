#include "server/net/listener.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/frames.hpp"
#include "server/net/peer_address.hpp"

namespace chat {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& io, DisconnectCounters& disconnects, OnAccept on_accept)
    : io_(io),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      disconnects_(disconnects),
      on_accept_(std::move(on_accept)) {}

Listener::~Listener() { release_spare_descriptor(); }

bool Listener::out_of_descriptors(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec.value() == ENFILE;
}

void Listener::open_spare_descriptor() {
  if (spare_descriptor_ < 0) spare_descriptor_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Listener::release_spare_descriptor() {
  if (spare_descriptor_ >= 0) ::close(spare_descriptor_);
  spare_descriptor_ = -1;
}

std::uint16_t Listener::listen(const std::string& host, std::uint16_t port) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), port);
  try {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    // Asio says "bind: Address already in use"; the operator needs to know which address.
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + e.code().message());
  }
  // Only the spare-descriptor refusal accepts synchronously, and it must not
  // wait for a peer that already left.
  acceptor_.non_blocking(true);
  open_spare_descriptor();
  return acceptor_.local_endpoint().port();
}

void Listener::start() {
  asio::co_spawn(strand_, accept_loop(), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::critical("accept loop failed: {}", e.what());
    }
  });
}

void Listener::stop() {
  asio::post(strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    stopped_.store(true, std::memory_order_release);
  });
}

asio::awaitable<void> Listener::accept_loop() {
  asio::steady_timer backoff(strand_);
  std::uint64_t refused_for_descriptors = 0;
  bool descriptors_exhausted = false;
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    if (descriptors_exhausted) {
      // accept() fails with EMFILE even when no peer waits, since the kernel
      // reserves the descriptor first; so wait for a peer before trying.
      co_await acceptor_.async_wait(tcp::acceptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    }
    auto socket = co_await acceptor_.async_accept(asio::make_strand(io_), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
    if (out_of_descriptors(ec)) {
      if (!descriptors_exhausted) spdlog::error("accept: {}; refusing new connections", ec.message());
      descriptors_exhausted = true;
      const auto spare = refuse_with_spare_descriptor();
      if (spare == SpareOutcome::Refused) ++refused_for_descriptors;
      if (spare != SpareOutcome::NoSpare) continue;
      // No spare left: the pending connection stays in the backlog, and
      // retrying at once would spin.
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (ec) {
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    if (descriptors_exhausted) {
      spdlog::info("accept: descriptors available again ({} connections refused meanwhile)", refused_for_descriptors);
      descriptors_exhausted = false;
      refused_for_descriptors = 0;
    }

    boost::system::error_code endpoint_error;
    const auto remote = socket.remote_endpoint(endpoint_error);
    if (endpoint_error) continue;  // the peer left already
    auto address = peer_address(remote.address()).to_string();
    socket.set_option(tcp::no_delay(true), endpoint_error);
    on_accept_(std::move(socket), std::move(address));
  }
}

Listener::SpareOutcome Listener::refuse_with_spare_descriptor() {
  // The classic way out of EMFILE: give back the descriptor kept for this,
  // accept the waiting peer with it, tell it why and close it. The peer gets
  // a clear answer instead of hanging in the backlog, and accepting never spins.
  if (spare_descriptor_ < 0) {
    open_spare_descriptor();  // freed descriptors may have come back since
    return SpareOutcome::NoSpare;
  }
  release_spare_descriptor();
  boost::system::error_code ec;
  tcp::socket socket(io_);
  acceptor_.accept(socket, ec);
  if (!ec) refuse(std::move(socket), "the server is out of file descriptors");
  open_spare_descriptor();
  if (!ec) return SpareOutcome::Refused;
  return ec == asio::error::would_block ? SpareOutcome::NobodyWaiting : SpareOutcome::NoSpare;
}

void Listener::refuse(tcp::socket socket, std::string_view reason) {
  disconnects_.count(DisconnectReason::Refused);
  const std::string line = to_line(error_reply(ErrorCode::Overloaded, reason));
  // A refused peer gets one line; if it does not take it, the socket is closed anyway.
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  if (refusal_line_) socket.write_some(asio::buffer(line), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace chat
