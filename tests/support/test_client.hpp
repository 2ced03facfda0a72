#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat::test {

using namespace std::chrono_literals;

// A blocking protocol client over a real TCP socket, for integration tests.
// Replies are matched by id; events that arrive meanwhile are kept in order.
class TestClient {
 public:
  using Json = nlohmann::json;

  // source_address: the local loopback address to connect from (127.0.0.x).
  explicit TestClient(std::uint16_t port, bool read_hello = true, const char* source_address = nullptr);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  const Json& hello() const noexcept { return hello_; }

  // Raw bytes, sent as they are.
  void send_raw(std::string_view bytes);
  void send(const Json& message);

  // The next line from the server, or nullopt on timeout. Throws when the
  // connection closed.
  std::optional<Json> next(std::chrono::milliseconds timeout = 5s);

  // Sends a request with a fresh id and returns its reply; events read
  // meanwhile are kept for wait_event(). Throws on timeout.
  Json roundtrip(Json message, std::chrono::milliseconds timeout = 10s);
  Json request(std::string_view op, Json fields = Json::object());

  // The first kept or arriving event that matches; throws on timeout.
  Json wait_event(const std::function<bool(const Json&)>& match, std::chrono::milliseconds timeout = 10s);
  Json wait_event(std::string_view type, std::chrono::milliseconds timeout = 10s);
  std::deque<Json>& events() noexcept { return events_; }

  // True if the server closed the connection within the timeout (lines read
  // meanwhile are kept in events()).
  bool wait_closed(std::chrono::milliseconds timeout = 10s);

  Json guest(std::string_view name) { return request("guest", {{"name", name}}); }
  Json register_user(std::string_view name, std::string_view password = "password123") {
    return request("register", {{"name", name}, {"password", password}});
  }
  Json login(std::string_view name, std::string_view password = "password123") {
    return request("login", {{"name", name}, {"password", password}});
  }

  int fd() const noexcept { return fd_; }
  // True once the server reset the connection (rather than closing it in order).
  bool was_reset() const noexcept { return reset_; }

 private:
  // Reads until a full line is buffered or the timeout passes.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  int fd_ = -1;
  std::string buffer_;
  Json hello_;
  std::deque<Json> events_;
  std::int64_t next_id_ = 1;
  bool closed_ = false;
  bool reset_ = false;
};

// Throws unless `reply` is an ok reply; returns it.
nlohmann::json expect_ok(const nlohmann::json& reply);

}  // namespace chat::test
