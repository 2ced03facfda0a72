#pragma once

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

namespace chat::client {

// The client's TLS settings, made once and shared by every (re)connection: TLS 1.2 or later, the peer's
// certificate verified against `ca_file` (PEM) or, when empty, the system's store; `insecure` verifies
// nothing. Throws std::runtime_error naming ca_file when it cannot be read.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file, bool insecure);

// Prepares one connection's stream for `host`: SNI (for a name, not an address) and, unless the context
// verifies nothing, the check that the certificate is for `host` (its DNS name or IP address).
void prepare_client_stream(boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>& stream, const std::string& host);

}  // namespace chat::client
