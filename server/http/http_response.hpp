#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

namespace chat {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::empty_body>;  // the surface takes no request bodies
using HttpResponse = http::response<http::string_body>;

// The Content-Security-Policy of every answer: the browser client's page may load its own scripts, styles
// and images and open its own WebSocket, nothing else; no inline script or style, no frames, no forms.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// A response with every header this surface always sends: its Content-Type and length, and the security
// headers (the CSP above, nosniff, no referrer, no framing, no-store unless the caller replaces it), so that
// none of them depends on a handler remembering it. The body is complete; Content-Length is set from it.
HttpResponse make_response(http::status status, std::string_view content_type, std::string body,
                           unsigned version = 11);

// A small JSON body ({"error":"not_found",...}) for the refusals.
HttpResponse json_response(http::status status, std::string body, unsigned version = 11);

}  // namespace chat
