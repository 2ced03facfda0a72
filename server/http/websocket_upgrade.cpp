#include "server/http/websocket_upgrade.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

namespace chat {

namespace {

HttpResponse upgrade_refusal(http::status status, std::string_view body, unsigned version) {
  auto response = json_response(status, std::string(body), version);
  response.keep_alive(false);
  return response;
}

}  // namespace

std::optional<HttpResponse> check_websocket_upgrade(const HttpRequest& request, const OriginPolicy& origins) {
  const auto version = request.version();
  if (!boost::beast::websocket::is_upgrade(request)) {
    auto response = upgrade_refusal(http::status::upgrade_required,
                                    R"({"error":"upgrade_required","detail":"/ws takes a WebSocket upgrade only"})",
                                    version);
    response.set(http::field::upgrade, "websocket");
    response.set(http::field::connection, "Upgrade, close");
    return response;
  }
  if (request[http::field::sec_websocket_version] != "13") {
    auto response = upgrade_refusal(http::status::upgrade_required,
                                    R"({"error":"unsupported_websocket_version","detail":"version 13 only"})",
                                    version);
    response.set(http::field::sec_websocket_version, "13");
    return response;
  }
  if (request[http::field::sec_websocket_key].empty()) {
    return upgrade_refusal(http::status::bad_request, R"({"error":"bad_request","detail":"no Sec-WebSocket-Key"})",
                           version);
  }
  const auto origin = request.find(http::field::origin);
  const bool has_origin = origin != request.end();
  const auto host = request[http::field::host];
  if (!origins.allows(has_origin, has_origin ? std::string_view(origin->value().data(), origin->value().size()) : "",
                      std::string_view(host.data(), host.size()))) {
    return upgrade_refusal(http::status::forbidden,
                           R"json({"error":"origin_not_allowed","detail":)json"
                           R"json("this page's origin may not open chat connections (http.allowed_origins)"})json",
                           version);
  }
  return std::nullopt;
}

}  // namespace chat
