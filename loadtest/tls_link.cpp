#include "loadtest/tls_link.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

namespace chat::loadtest {

std::shared_ptr<SSL_CTX> make_tls_context(const std::string& ca_file, bool insecure) {
  std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!context) throw std::runtime_error("cannot make a TLS context");
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  // Writes may be partial and retried from a string that grew meanwhile (ClientConnection's queue).
  SSL_CTX_set_mode(context.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (insecure) {
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
    return context;
  }
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(context.get())
                                     : SSL_CTX_load_verify_locations(context.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    ERR_clear_error();
    throw std::runtime_error(ca_file.empty() ? "cannot load the system's CA certificates"
                                             : "--ca-file '" + ca_file + "': cannot load CA certificates");
  }
  return context;
}

TlsLink::TlsLink(SSL_CTX* context, int fd, const std::string& host) : ssl_(SSL_new(context)) {
  if (!ssl_) throw std::runtime_error("cannot make a TLS session");
  SSL_set_fd(ssl_, fd);
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) SSL_set_tlsext_host_name(ssl_, host.c_str());  // SNI names hosts, never addresses
  if (SSL_get_verify_mode(ssl_) != SSL_VERIFY_NONE) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
    if (!ec) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
  }
  SSL_set_connect_state(ssl_);
}

TlsLink::~TlsLink() { SSL_free(ssl_); }

TlsLink::Status TlsLink::status(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ: return Status::WantRead;
    case SSL_ERROR_WANT_WRITE: return Status::WantWrite;
    case SSL_ERROR_ZERO_RETURN: return Status::Closed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        ERR_clear_error();
        return Status::Closed;  // end of stream without close_notify, or a reset
      }
      [[fallthrough]];
    default: {
      const unsigned long code = ERR_get_error();  // "certificate verify failed", "wrong version number"...
      ERR_clear_error();
      error_ = boost::system::error_code(static_cast<int>(code), boost::asio::error::get_ssl_category());
      return Status::Failed;
    }
  }
}

TlsLink::Status TlsLink::handshake() {
  const int result = SSL_do_handshake(ssl_);
  return result == 1 ? Status::Ok : status(result);
}

TlsLink::Status TlsLink::read(char* data, std::size_t size, std::size_t& n) {
  n = 0;
  const int result = SSL_read_ex(ssl_, data, size, &n);
  return result == 1 ? Status::Ok : status(result);
}

TlsLink::Status TlsLink::write(const char* data, std::size_t size, std::size_t& n) {
  n = 0;
  const int result = SSL_write_ex(ssl_, data, size, &n);
  return result == 1 ? Status::Ok : status(result);
}

}  // namespace chat::loadtest
