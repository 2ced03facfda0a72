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

BlockingClient::BlockingClient(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout)
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
}

BlockingClient::~BlockingClient() {
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
    wait(POLLIN);
    char buffer[16 * 1024];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) throw std::runtime_error("the server closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      throw failure("recv");
    }
    framer_.append(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

nlohmann::json BlockingClient::request(std::string_view op, const nlohmann::json& fields) {
  const std::int64_t id = next_id_++;
  auto body = make_request(op, id);
  body.update(fields);
  const std::string line = to_line(body);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      wait(POLLOUT);
      continue;
    }
    if (n < 0) throw failure("send");
    done += static_cast<std::size_t>(n);
  }
  while (true) {
    auto message = read_message();
    if (message.contains("id") && message["id"] == id) return message;
    if (message.value("type", "") == "error" && !message.contains("id")) {
      throw std::runtime_error("server error: " + message.value("code", "?") + " " + message.value("message", ""));
    }
  }
}

}  // namespace chat::loadtest
