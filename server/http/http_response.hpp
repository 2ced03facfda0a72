#pragma once

#include <utility>  // before Boost.Asio's awaitable.hpp under g++ 12

#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

namespace chat {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::empty_body>;  // the surface takes no request bodies
using HttpResponse = http::response<http::string_body>;

// A response with every header this surface always sends: its Content-Type and length, and the security
// headers (nosniff, no referrer, a CSP that allows nothing, no-store), so that none of them depends on a
// handler remembering it. The body is complete; Content-Length is set from it.
HttpResponse make_response(http::status status, std::string_view content_type, std::string body,
                           unsigned version = 11);

// A small JSON body ({"error":"not_found",...}) for the refusals.
HttpResponse json_response(http::status status, std::string body, unsigned version = 11);

}  // namespace chat
