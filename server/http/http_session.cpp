#include "server/http/http_session.hpp"

#include <boost/beast/core.hpp>
#include <spdlog/spdlog.h>

namespace chat {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// Ends the connection's share of stats.connections however the coroutine ends, destruction included.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(HttpStats& stats) : stats_(stats) {}
  ~ConnectionSlot() { stats_.connections.fetch_sub(1, std::memory_order_relaxed); }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  HttpStats& stats_;
};

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == beast::http::make_error_code(http::error::bad_target).category();
}

// A refusal of the request itself: answered, then the connection is closed, since what follows the header
// (a body, the rest of an oversized header) is not going to be read.
HttpResponse refusal(http::status status, std::string_view error, unsigned version) {
  auto response = json_response(status, R"({"error":")" + std::string(error) + R"("})", version);
  if (status == http::status::method_not_allowed) response.set(http::field::allow, "GET, HEAD");
  response.keep_alive(false);
  return response;
}

// The target's path is `path` exactly (a query string is ignored, as by the endpoints).
bool is_path(beast::string_view target, std::string_view path) {
  const auto query = target.find('?');
  const auto own = target.substr(0, query);
  return std::string_view(own.data(), own.size()) == path;
}

}  // namespace

asio::awaitable<void> serve_http_connection(asio::ip::tcp::socket socket, asio::ip::address peer,
                                            HttpSessionLimits limits, const HttpHandler& handler,
                                            HttpStats& stats, const WebSocketRoute* websocket) {
  ConnectionSlot slot(stats);
  beast::tcp_stream stream(std::move(socket));
  // The buffer's own limit bounds what one connection can make the server hold, whatever the parser does.
  beast::flat_buffer buffer(limits.max_header_bytes);
  boost::system::error_code ec;
  for (std::uint32_t served = 0; served < limits.max_requests;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // One deadline for the whole header, so that trickling bytes does not extend it (slowloris); it also
    // bounds how long an idle keep-alive connection is kept.
    stream.expires_after(limits.request_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) {
      stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("http: addr={} cut: no complete request within {} ms", peer.to_string(),
                    limits.request_timeout.count());
      co_return;
    }
    HttpResponse response;
    bool head_only = false;
    bool refused = true;  // the request itself is refused (counted in bad_requests)
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      response = refusal(http::status::request_header_fields_too_large, "header_too_large", 11);
    } else if (is_parse_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      response = refusal(http::status::bad_request, "bad_request", 11);
    } else if (ec) {
      co_return;  // the peer closed or reset: nobody to answer
    } else {
      ++served;
      const auto& request = parser.get();
      const auto method = request.method();
      if (method != http::verb::get && method != http::verb::head) {
        response = refusal(http::status::method_not_allowed, "method_not_allowed", request.version());
      } else if (parser.chunked() || parser.content_length().value_or(0) > 0) {
        response = refusal(http::status::bad_request, "body_not_allowed", request.version());
      } else if (websocket && is_path(request.target(), WebSocketRoute::kPath)) {
        head_only = method == http::verb::head;
        if (auto refused_upgrade = check_websocket_upgrade(request, websocket->origins)) {
          response = std::move(*refused_upgrade);
        } else if (buffer.size() != 0) {
          // Bytes sent before the answer to the upgrade: no client does that, and they would be lost.
          response = refusal(http::status::bad_request, "data_before_upgrade", request.version());
        } else {
          stats.requests.fetch_add(1, std::memory_order_relaxed);
          stats.websocket_upgrades.fetch_add(1, std::memory_order_relaxed);
          websocket->handoff(stream.release_socket(), parser.release(), peer);
          co_return;  // the connection is the chat side's now: it leaves this listener's count
        }
      } else {
        refused = false;
        try {
          response = handler(request, peer);
        } catch (const std::exception& e) {
          const auto method_name = request.method_string();
          const auto target = request.target().substr(0, 64);
          spdlog::error("http: {} {} failed: {}", std::string(method_name.data(), method_name.size()),
                        std::string(target.data(), target.size()), e.what());
          response = json_response(http::status::internal_server_error, R"({"error":"internal"})",
                                   request.version());
        }
        response.keep_alive(request.keep_alive() && served < limits.max_requests);
        head_only = method == http::verb::head;
      }
    }
    stats.requests.fetch_add(1, std::memory_order_relaxed);
    if (refused) stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    const bool keep_alive = response.keep_alive();
    // A peer that does not read its answer is cut at the same deadline.
    stream.expires_after(limits.request_timeout);
    if (head_only) {
      http::response<http::empty_body> head{std::move(response.base())};
      co_await http::async_write(stream, head, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream.close();
}

}  // namespace chat
