#pragma once

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace chat {

// A connection of the HTTP listener with http.tls on: TLS over a Beast TCP stream (whose deadline bounds the
// handshake and each request there). Its socket lives on a strand of the chat io_context from its accept on,
// so that a GET /ws moves the whole stream, TLS session included, to the chat side (a TLS stream cannot
// change event loops midway); the HTTP thread still runs everything the HTTP surface does with it.
using HttpsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

}  // namespace chat
