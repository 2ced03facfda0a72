#include "server/http/http_response.hpp"

namespace chat {

HttpResponse make_response(http::status status, std::string_view content_type, std::string body, unsigned version) {
  HttpResponse response{status, version};
  response.set(http::field::server, "chat-server");
  response.set(http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
  // Every answer, a page or a figure, carries the same policy. For the browser client: its own scripts,
  // styles and WebSocket only, nothing inline, nothing from elsewhere, never framed (clickjacking) — so a
  // message that smuggles markup past the client still cannot run or load anything. For the JSON and text
  // answers: a browser must not guess another type, nor tell other sites where it came from. Answers that
  // may be kept in a cache say so themselves (StaticFiles); figures that change are never kept.
  response.set("Content-Security-Policy",
               boost::beast::string_view(kContentSecurityPolicy.data(), kContentSecurityPolicy.size()));
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("X-Frame-Options", "DENY");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse json_response(http::status status, std::string body, unsigned version) {
  return make_response(status, "application/json", std::move(body), version);
}

}  // namespace chat
