#include "server/http/http_response.hpp"

namespace chat {

HttpResponse make_response(http::status status, std::string_view content_type, std::string body, unsigned version) {
  HttpResponse response{status, version};
  response.set(http::field::server, "chat-server");
  response.set(http::field::content_type, boost::beast::string_view(content_type.data(), content_type.size()));
  // These answers are data for machines, never pages: a browser must not guess another type, run or load
  // anything in them, tell other sites where it came from, or keep a copy of figures that change.
  response.set("X-Content-Type-Options", "nosniff");
  response.set("Referrer-Policy", "no-referrer");
  response.set("Content-Security-Policy", "default-src 'none'");
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

HttpResponse json_response(http::status status, std::string body, unsigned version) {
  return make_response(status, "application/json", std::move(body), version);
}

}  // namespace chat
