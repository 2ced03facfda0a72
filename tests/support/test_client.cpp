#include "tests/support/test_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/loopback_socket.hpp"

namespace chat::test {

namespace {

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
}

}  // namespace

TestClient::TestClient(std::uint16_t port, bool read_hello, const char* source_address) {
  fd_ = connect_loopback(port, source_address);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (read_hello) {
    auto hello = next(10s);
    if (!hello) throw std::runtime_error("no hello from the server");
    hello_ = *hello;
  }
}

TestClient::~TestClient() {
  if (fd_ >= 0) ::close(fd_);
}

void TestClient::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("send: " + std::string(std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void TestClient::send(const Json& message) { send_raw(message.dump() + "\n"); }

std::optional<std::string> TestClient::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (closed_) throw std::runtime_error("connection closed by the server");
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(remaining(deadline).count()));
    if (ready == 0) return std::nullopt;
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("poll failed");
    }
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      reset_ = n < 0 && errno == ECONNRESET;
      closed_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<TestClient::Json> TestClient::next(std::chrono::milliseconds timeout) {
  auto line = read_line(timeout);
  if (!line) return std::nullopt;
  return Json::parse(*line);
}

TestClient::Json TestClient::roundtrip(Json message, std::chrono::milliseconds timeout) {
  const auto id = next_id_++;
  message["id"] = id;
  send(message);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto line = next(remaining(deadline));
    if (!line) throw std::runtime_error("no reply to " + message.dump());
    if (line->contains("id") && (*line)["id"] == id) return *line;
    events_.push_back(std::move(*line));
  }
}

TestClient::Json TestClient::request(std::string_view op, Json fields) {
  fields["op"] = op;
  return roundtrip(std::move(fields));
}

TestClient::Json TestClient::wait_event(const std::function<bool(const Json&)>& match,
                                        std::chrono::milliseconds timeout) {
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (match(*it)) {
      Json found = std::move(*it);
      events_.erase(it);
      return found;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto line = next(remaining(deadline));
    if (!line) throw std::runtime_error("the expected event did not arrive");
    if (match(*line)) return *line;
    events_.push_back(std::move(*line));
  }
}

TestClient::Json TestClient::wait_event(std::string_view type, std::chrono::milliseconds timeout) {
  return wait_event([&](const Json& event) { return event.value("type", "") == type; }, timeout);
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    for (;;) {
      auto line = read_line(remaining(deadline));
      if (!line) return false;
      events_.push_back(Json::parse(*line, nullptr, false));
    }
  } catch (const std::runtime_error&) {
    return true;
  }
}

nlohmann::json expect_ok(const nlohmann::json& reply) {
  if (reply.value("type", "") != "ok" && reply.value("type", "") != "pong") {
    throw std::runtime_error("expected ok, got " + reply.dump());
  }
  return reply;
}

}  // namespace chat::test
