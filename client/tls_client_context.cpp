#include "client/tls_client_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include <boost/asio/ip/address.hpp>

namespace chat::client {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file, bool insecure) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  if (insecure) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  context->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("cannot load the system's CA certificates: " + ec.message());
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("--ca-file '" + ca_file + "': cannot load CA certificates: " + ec.message());
  }
  return context;
}

void prepare_client_stream(ssl::stream<boost::asio::ip::tcp::socket&>& stream, const std::string& host) {
  SSL* native = stream.native_handle();
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);  // ec: not an address, so a host name
  // SNI carries host names only (RFC 6066).
  if (ec) SSL_set_tlsext_host_name(native, host.c_str());
  if (SSL_get_verify_mode(native) == SSL_VERIFY_NONE) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(native);
  if (!ec) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
}

}  // namespace chat::client
