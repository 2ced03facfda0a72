#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat::test {

using namespace std::chrono_literals;

// A protocol client over a WebSocket to the real server's GET /ws (the operator HTTP port), for integration
// tests: what a browser does, over Boost.Beast — ws:, or wss: to a server with http.tls (Options::ca_file). One
// read is always pending, so that pings, pongs and the close handshake go on while the test waits; messages
// are kept in order. Replies are matched by id.
class WebSocketClient {
 public:
  using Json = nlohmann::json;

  struct Options {
    std::string origin;                    // sent as Origin when not empty
    const char* source_address = nullptr;  // the local loopback address to connect from (127.0.0.x)
    bool read_hello = true;
    std::string host = {};  // sent as Host; empty: 127.0.0.1:<port>
    // Not empty: wss:, the server's certificate verified against this PEM file (and 127.0.0.1).
    std::string ca_file{};
  };

  // Connects and upgrades; throws when the upgrade fails (the server's answer in the message).
  explicit WebSocketClient(std::uint16_t http_port, Options options);
  explicit WebSocketClient(std::uint16_t http_port) : WebSocketClient(http_port, Options{}) {}
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  const Json& hello() const noexcept { return hello_; }

  void send_text(std::string_view text);
  void send_binary(std::string_view bytes);
  void send(const Json& message) { send_text(message.dump()); }

  // The next text message, or nullopt on timeout. Throws once the connection is closed and nothing is left.
  std::optional<std::string> next_text(std::chrono::milliseconds timeout = 5s);
  std::optional<Json> next(std::chrono::milliseconds timeout = 5s);

  Json roundtrip(Json message, std::chrono::milliseconds timeout = 10s);
  Json request(std::string_view op, Json fields = Json::object());
  Json wait_event(std::string_view type, std::chrono::milliseconds timeout = 10s);

  // Sends a ping; true once its pong came within the timeout.
  bool ping(std::chrono::milliseconds timeout = 5s);
  // True if the server closed the connection within the timeout (messages read meanwhile are kept).
  bool wait_closed(std::chrono::milliseconds timeout = 10s);
  // The code of the server's close frame, once closed by one; nullopt if cut without one.
  std::optional<std::uint16_t> close_code() const noexcept { return close_code_; }

 private:
  struct State;
  template <class Stream>
  struct StreamState;
  void start_read();
  // Runs handlers until `done` or the deadline.
  void pump(const std::function<bool()>& done, std::chrono::steady_clock::time_point deadline);

  std::unique_ptr<State> state_;
  std::deque<std::string> messages_;
  Json hello_;
  std::int64_t next_id_ = 1;
  bool closed_ = false;
  bool pong_ = false;
  std::optional<std::uint16_t> close_code_;
};

}  // namespace chat::test
