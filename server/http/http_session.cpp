#include "server/http/http_session.hpp"

#include <type_traits>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <spdlog/spdlog.h>

namespace chat {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;

namespace {

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

// The upgrade passed its checks: the connection goes to the chat side, as a socket or, over TLS, as its
// stream with the TLS session (its deadline off: the chat session's own deadlines take over).
void hand_over(beast::tcp_stream& stream, const WebSocketRoute& route, HttpRequest request,
               const asio::ip::address& peer) {
  route.handoff(stream.release_socket(), std::move(request), peer);
}

void hand_over(HttpsStream& stream, const WebSocketRoute& route, HttpRequest request, const asio::ip::address& peer) {
  beast::get_lowest_layer(stream).expires_never();
  route.secure_handoff(std::move(stream), std::move(request), peer);
}

void end_output(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.close();
}

// TLS ends its output with close_notify first, within the same deadline, so that the peer can tell the
// end of the answer from a truncation.
asio::awaitable<void> end_output(HttpsStream& stream, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  beast::get_lowest_layer(stream).close();
}

// The request loop of one connection, over plain TCP (beast::tcp_stream) or TLS (HttpsStream). Returns true
// when the connection was handed to the chat side, false when it is to be closed.
template <class Stream>
asio::awaitable<bool> serve_requests(Stream& stream, const asio::ip::address& peer, const HttpService& service) {
  constexpr bool tls = std::is_same_v<Stream, HttpsStream>;
  const auto& limits = service.limits;
  HttpStats& stats = *service.stats;
  const WebSocketRoute* websocket = service.websocket;
  auto& lowest = beast::get_lowest_layer(stream);
  // The buffer's own limit bounds what one connection can make the server hold, whatever the parser does.
  beast::flat_buffer buffer(limits.max_header_bytes);
  boost::system::error_code ec;
  for (std::uint32_t served = 0; served < limits.max_requests;) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    // One deadline for the whole header, so that trickling bytes does not extend it (slowloris); it also
    // bounds how long an idle keep-alive connection is kept.
    lowest.expires_after(limits.request_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == beast::error::timeout) {
      stats.timeouts.fetch_add(1, std::memory_order_relaxed);
      spdlog::debug("http: addr={} cut: no complete request within {} ms", peer.to_string(),
                    limits.request_timeout.count());
      co_return false;
    }
    HttpResponse response;
    bool head_only = false;
    bool refused = true;  // the request itself is refused (counted in bad_requests)
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      response = refusal(http::status::request_header_fields_too_large, "header_too_large", 11);
    } else if (is_parse_error(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
      response = refusal(http::status::bad_request, "bad_request", 11);
    } else if (ec) {
      co_return false;  // the peer closed or reset: nobody to answer
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
          hand_over(stream, *websocket, parser.release(), peer);
          co_return true;  // the connection is the chat side's now: it leaves this listener's count
        }
      } else {
        refused = false;
        try {
          response = service.handler(request, peer);
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
    if constexpr (tls) {
      response.set(http::field::strict_transport_security,
                   beast::string_view(kStrictTransportSecurity.data(), kStrictTransportSecurity.size()));
    }
    const bool keep_alive = response.keep_alive();
    // A peer that does not read its answer is cut at the same deadline.
    lowest.expires_after(limits.request_timeout);
    if (head_only) {
      http::response<http::empty_body> head{std::move(response.base())};
      co_await http::async_write(stream, head, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec || !keep_alive) break;
  }
  co_return false;
}

}  // namespace

asio::awaitable<void> serve_http_connection(asio::ip::tcp::socket socket, asio::ip::address peer,
                                            const HttpService& service, [[maybe_unused]] HttpConnectionSlot slot) {
  beast::tcp_stream stream(std::move(socket));
  if (!co_await serve_requests(stream, peer, service)) end_output(stream);
}

asio::awaitable<void> serve_https_connection(asio::ip::tcp::socket socket, std::shared_ptr<ssl::context> context,
                                             asio::ip::address peer, const HttpService& service,
                                             [[maybe_unused]] HttpConnectionSlot slot) {
  // The SSL object keeps its own reference to the context's SSL_CTX: a reload meanwhile changes nothing here.
  HttpsStream stream(beast::tcp_stream(std::move(socket)), *context);
  context.reset();
  auto& lowest = beast::get_lowest_layer(stream);
  boost::system::error_code ec;
  lowest.expires_after(service.limits.request_timeout);
  co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    service.stats->timeouts.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("http: addr={} cut: no TLS handshake within {} ms", peer.to_string(),
                  service.limits.request_timeout.count());
    co_return;
  }
  if (ec) {
    // Plain HTTP on the HTTPS port, a client that refuses the certificate...: nothing can be said to it.
    spdlog::debug("http: addr={} TLS handshake failed: {}", peer.to_string(), ec.message());
    lowest.close();
    co_return;
  }
  if (!co_await serve_requests(stream, peer, service)) co_await end_output(stream, service.limits.request_timeout);
}

}  // namespace chat
