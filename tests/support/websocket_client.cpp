#include "tests/support/websocket_client.hpp"

#include <map>
#include <mutex>
#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "tests/support/loopback_socket.hpp"

namespace chat::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace ssl = asio::ssl;

// What the client needs of its stream, plain or TLS.
struct WebSocketClient::State {
  virtual ~State() = default;
  virtual void write(std::string_view bytes, bool binary) = 0;
  virtual void read(std::function<void(boost::system::error_code)> done) = 0;
  virtual std::uint16_t close_code() = 0;
  virtual void ping() = 0;
  virtual void cut() = 0;

  // A client context that verifies the server against `ca_file`.
  static ssl::context& make_tls(const std::string& ca_file);

  asio::io_context io;
  beast::flat_buffer buffer;
};

ssl::context& WebSocketClient::State::make_tls(const std::string& ca_file) {
  // One per process: the tests trust one certificate file at a time, and a context outlives its streams.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ssl::context>> contexts;
  std::lock_guard lock(mutex);
  auto& context = contexts[ca_file];
  if (!context) {
    context = std::make_unique<ssl::context>(ssl::context::tls_client);
    context->set_verify_mode(ssl::verify_peer);
    context->load_verify_file(ca_file);
  }
  return *context;
}

// The stream is made from the base's io_context (and TLS context), which are constructed first.
template <class Stream>
struct WebSocketClient::StreamState final : State {
  StreamState() : ws(io) {}
  explicit StreamState(ssl::context& context) : ws(io, context) {}
  void write(std::string_view bytes, bool binary) override {
    ws.binary(binary);
    ws.write(asio::buffer(bytes.data(), bytes.size()));
  }
  void read(std::function<void(boost::system::error_code)> done) override {
    ws.async_read(buffer, [done = std::move(done)](boost::system::error_code ec, std::size_t) { done(ec); });
  }
  std::uint16_t close_code() override { return ws.reason().code; }
  void ping() override { ws.ping({}); }
  void cut() override {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).close(ignored);
  }
  websocket::stream<Stream> ws;
};

WebSocketClient::WebSocketClient(std::uint16_t http_port, Options options) {
  const auto upgrade = [&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator([origin = options.origin](websocket::request_type& request) {
      if (!origin.empty()) request.set(beast::http::field::origin, origin);
    }));
    websocket::response_type response;
    boost::system::error_code ec;
    ws.handshake(response, options.host.empty() ? "127.0.0.1:" + std::to_string(http_port) : options.host, "/ws",
                 ec);
    if (ec) {
      throw std::runtime_error("WebSocket upgrade failed: " + ec.message() + " (" +
                               std::to_string(response.result_int()) + " " + response.body() + ")");
    }
    ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::pong) pong_ = true;
    });
  };
  if (options.ca_file.empty()) {
    auto state = std::make_unique<StreamState<asio::ip::tcp::socket>>();
    state->ws.next_layer().assign(asio::ip::tcp::v4(), connect_loopback(http_port, options.source_address));
    upgrade(state->ws);
    state_ = std::move(state);
  } else {
    auto state = std::make_unique<StreamState<ssl::stream<asio::ip::tcp::socket>>>(State::make_tls(options.ca_file));
    auto& tls = state->ws.next_layer();
    tls.next_layer().assign(asio::ip::tcp::v4(), connect_loopback(http_port, options.source_address));
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls.native_handle()), "127.0.0.1");
    boost::system::error_code ec;
    tls.handshake(ssl::stream_base::client, ec);
    if (ec) throw std::runtime_error("TLS handshake failed: " + ec.message());
    upgrade(state->ws);
    state_ = std::move(state);
  }
  start_read();
  if (options.read_hello) {
    auto hello = next(10s);
    if (!hello) throw std::runtime_error("no hello from the server");
    hello_ = *hello;
  }
}

WebSocketClient::~WebSocketClient() { state_->cut(); }

void WebSocketClient::start_read() {
  state_->read([this](boost::system::error_code ec) {
    if (ec) {
      closed_ = true;
      if (ec == websocket::error::closed) close_code_ = state_->close_code();
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

void WebSocketClient::send_text(std::string_view text) { state_->write(text, /*binary=*/false); }

void WebSocketClient::send_binary(std::string_view bytes) { state_->write(bytes, /*binary=*/true); }

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
  state_->ping();
  pump([this] { return pong_ || closed_; }, std::chrono::steady_clock::now() + timeout);
  return pong_;
}

bool WebSocketClient::wait_closed(std::chrono::milliseconds timeout) {
  pump([this] { return closed_; }, std::chrono::steady_clock::now() + timeout);
  return closed_;
}

}  // namespace chat::test
