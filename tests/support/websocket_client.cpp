#include "tests/support/websocket_client.hpp"

#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "tests/support/loopback_socket.hpp"

namespace chat::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct WebSocketClient::State {
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws{io};
  beast::flat_buffer buffer;
};

WebSocketClient::WebSocketClient(std::uint16_t http_port, Options options) : state_(std::make_unique<State>()) {
  auto& ws = state_->ws;
  ws.next_layer().assign(asio::ip::tcp::v4(), connect_loopback(http_port, options.source_address));
  ws.set_option(websocket::stream_base::decorator([origin = options.origin](websocket::request_type& request) {
    if (!origin.empty()) request.set(beast::http::field::origin, origin);
  }));
  websocket::response_type response;
  boost::system::error_code ec;
  ws.handshake(response, options.host.empty() ? "127.0.0.1:" + std::to_string(http_port) : options.host, "/ws", ec);
  if (ec) {
    throw std::runtime_error("WebSocket upgrade failed: " + ec.message() + " (" +
                             std::to_string(response.result_int()) + " " + response.body() + ")");
  }
  ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) pong_ = true;
  });
  start_read();
  if (options.read_hello) {
    auto hello = next(10s);
    if (!hello) throw std::runtime_error("no hello from the server");
    hello_ = *hello;
  }
}

WebSocketClient::~WebSocketClient() {
  boost::system::error_code ignored;
  state_->ws.next_layer().close(ignored);
}

void WebSocketClient::start_read() {
  state_->ws.async_read(state_->buffer, [this](boost::system::error_code ec, std::size_t) {
    if (ec) {
      closed_ = true;
      if (ec == websocket::error::closed) close_code_ = state_->ws.reason().code;
      return;
    }
    messages_.push_back(beast::buffers_to_string(state_->buffer.data()));
    state_->buffer.consume(state_->buffer.size());
    start_read();
  });
}

void WebSocketClient::pump(const std::function<bool()>& done, std::chrono::steady_clock::time_point deadline) {
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (state_->io.stopped()) state_->io.restart();
    if (state_->io.run_one_until(deadline) == 0 && closed_) return;
  }
}

void WebSocketClient::send_text(std::string_view text) {
  state_->ws.text(true);
  state_->ws.write(asio::buffer(text.data(), text.size()));
}

void WebSocketClient::send_binary(std::string_view bytes) {
  state_->ws.binary(true);
  state_->ws.write(asio::buffer(bytes.data(), bytes.size()));
  state_->ws.text(true);
}

std::optional<std::string> WebSocketClient::next_text(std::chrono::milliseconds timeout) {
  pump([this] { return !messages_.empty() || closed_; }, std::chrono::steady_clock::now() + timeout);
  if (messages_.empty()) {
    if (closed_) throw std::runtime_error("connection closed by the server");
    return std::nullopt;
  }
  auto text = std::move(messages_.front());
  messages_.pop_front();
  return text;
}

std::optional<nlohmann::json> WebSocketClient::next(std::chrono::milliseconds timeout) {
  auto text = next_text(timeout);
  if (!text) return std::nullopt;
  return Json::parse(*text);
}

nlohmann::json WebSocketClient::roundtrip(Json message, std::chrono::milliseconds timeout) {
  const auto id = next_id_++;
  message["id"] = id;
  send(message);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::deque<std::string> kept;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    auto line = next_text(left);
    if (!line) break;
    auto json = Json::parse(*line);
    if (json.contains("id") && json["id"] == id) {
      // Events read meanwhile go back in front, in order, for wait_event() and next().
      messages_.insert(messages_.begin(), kept.begin(), kept.end());
      return json;
    }
    kept.push_back(std::move(*line));
  }
  messages_.insert(messages_.begin(), kept.begin(), kept.end());
  throw std::runtime_error("no reply to " + message.dump());
}

nlohmann::json WebSocketClient::request(std::string_view op, Json fields) {
  fields["op"] = op;
  return roundtrip(std::move(fields));
}

nlohmann::json WebSocketClient::wait_event(std::string_view type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = messages_.begin(); it != messages_.end(); ++it) {
      auto json = Json::parse(*it);
      if (json.value("type", "") == type) {
        messages_.erase(it);
        return json;
      }
    }
    const auto before = messages_.size();
    pump([&] { return messages_.size() != before || closed_; }, deadline);
    if (messages_.size() == before) throw std::runtime_error("no '" + std::string(type) + "' event");
  }
}

bool WebSocketClient::ping(std::chrono::milliseconds timeout) {
  pong_ = false;
  state_->ws.ping({});
  pump([this] { return pong_ || closed_; }, std::chrono::steady_clock::now() + timeout);
  return pong_;
}

bool WebSocketClient::wait_closed(std::chrono::milliseconds timeout) {
  pump([this] { return closed_; }, std::chrono::steady_clock::now() + timeout);
  return closed_;
}

}  // namespace chat::test
