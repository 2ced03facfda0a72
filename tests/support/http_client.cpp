#include "tests/support/http_client.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/loopback_socket.hpp"

namespace chat::test {

HttpConnection::HttpConnection(std::uint16_t port, const char* source_address) {
  fd_ = connect_loopback(port, source_address);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool HttpConnection::get(std::string_view path, bool close) {
  return send_raw("GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                  (close ? "Connection: close\r\n" : "") + "\r\n");
}

bool HttpConnection::fill(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[16384];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    closed_ = true;  // an orderly close or a reset
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<HttpAnswer> HttpConnection::read_answer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto end = buffer_.find("\r\n\r\n");
  while (end == std::string::npos) {
    if (!fill(deadline)) return std::nullopt;
    end = buffer_.find("\r\n\r\n");
  }
  HttpAnswer answer;
  const std::string head = buffer_.substr(0, end);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.size() < 12) return std::nullopt;
  answer.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const auto start = line_end + 2;
    line_end = head.find("\r\n", start);
    const auto line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    answer.headers[name] = value;
  }
  buffer_.erase(0, end + 4);
  const auto length = answer.header("content-length").empty() ? 0 : std::stoul(answer.header("content-length"));
  while (buffer_.size() < length) {
    if (!fill(deadline)) return std::nullopt;
  }
  answer.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return answer;
}

bool HttpConnection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    if (!fill(deadline) && !closed_) return false;
  }
  return true;
}

HttpAnswer http_get(std::uint16_t port, std::string_view path, const char* source_address) {
  HttpConnection connection(port, source_address);
  if (!connection.get(path, /*close=*/true)) throw std::runtime_error("GET " + std::string(path) + ": send failed");
  auto answer = connection.read_answer(10s);
  if (!answer) throw std::runtime_error("GET " + std::string(path) + ": no answer");
  return *answer;
}

}  // namespace chat::test
