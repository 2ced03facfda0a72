#include "loadtest/blocking_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/frames.hpp"

namespace chat::loadtest {
namespace {

std::runtime_error failure(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

BlockingClient::BlockingClient(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                               SSL_CTX* tls)
    : timeout_(timeout), framer_(1 << 20) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw failure("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) throw std::runtime_error("bad address " + host);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) throw failure("connect to " + host + ":" + std::to_string(port));
    wait(POLLOUT);
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    errno = error;
    if (error != 0) throw failure("connect to " + host + ":" + std::to_string(port));
  }
  const int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  if (!tls) return;
  tls_ = std::make_unique<TlsLink>(tls, fd_, host);
  const std::string what = "TLS handshake with " + host + ":" + std::to_string(port);
  for (auto status = tls_->handshake(); status != TlsLink::Status::Ok; status = tls_->handshake()) {
    wait_for(status, what);
  }
}

void BlockingClient::wait_for(TlsLink::Status status, const std::string& what) {
  if (status == TlsLink::Status::WantRead) return wait(POLLIN);
  if (status == TlsLink::Status::WantWrite) return wait(POLLOUT);
  if (status == TlsLink::Status::Closed) throw std::runtime_error(what + ": the server closed the connection");
  throw std::runtime_error(what + " failed: " + tls_->error().message());
}

void BlockingClient::receive() {
  char buffer[16 * 1024];
  if (tls_) {
    // OpenSSL may hold a whole record already: ask it before waiting on the socket.
    std::size_t n = 0;
    const auto status = tls_->read(buffer, sizeof buffer, n);
    if (status == TlsLink::Status::Ok) {
      (void)framer_.append(std::string_view(buffer, n));
      return;
    }
    return wait_for(status, "TLS read");
  }
  wait(POLLIN);
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n == 0) throw std::runtime_error("the server closed the connection");
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    throw failure("recv");
  }
  framer_.append(std::string_view(buffer, static_cast<std::size_t>(n)));
}

void BlockingClient::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    if (tls_) {
      std::size_t n = 0;
      const auto status = tls_->write(bytes.data(), bytes.size(), n);
      if (status == TlsLink::Status::Ok) {
        bytes.remove_prefix(n);
      } else {
        wait_for(status, "TLS write");
      }
      continue;
    }
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait(POLLOUT);
      continue;
    }
    if (n < 0) throw failure("send");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

BlockingClient::~BlockingClient() {
  tls_.reset();  // before its socket
  if (fd_ >= 0) ::close(fd_);
}

void BlockingClient::wait(short events) {
  pollfd p{fd_, events, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout_.count()));
  if (n == 0) throw std::runtime_error("no answer from the server within the timeout");
  if (n < 0) throw failure("poll");
}

nlohmann::json BlockingClient::read_message() {
  while (true) {
    if (auto line = framer_.next_line()) {
      if (line->empty()) continue;
      return nlohmann::json::parse(*line);
    }
    if (framer_.failed()) throw std::runtime_error("line too long from the server");
    receive();
  }
}

nlohmann::json BlockingClient::request(std::string_view op, const nlohmann::json& fields) {
  const std::int64_t id = next_id_++;
  auto body = make_request(op, id);
  body.update(fields);
  send_all(to_line(body));
  while (true) {
    auto message = read_message();
    if (message.contains("id") && message["id"] == id) return message;
    if (message.value("type", "") == "error" && !message.contains("id")) {
      throw std::runtime_error("server error: " + message.value("code", "?") + " " + message.value("message", ""));
    }
  }
}

}  // namespace chat::loadtest
