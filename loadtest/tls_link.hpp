#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace chat::loadtest {

// The client side of TLS for chat-loadtest --tls: made once per process and shared by all its connections.
// Verifies the server's certificate against `ca_file` (PEM), or the system's store when it is empty, unless
// `insecure`. Throws std::runtime_error naming ca_file when it cannot be read.
std::shared_ptr<SSL_CTX> make_tls_context(const std::string& ca_file, bool insecure);

// One TLS session over a connected, non-blocking socket descriptor that the caller owns and waits on. OpenSSL
// reads and writes the descriptor itself, so every call returns at once: WantRead or WantWrite says what to
// wait for before calling again (a write retried with at least the bytes it was first given). Not
// thread-safe; the descriptor must outlive it.
class TlsLink {
 public:
  enum class Status { Ok, WantRead, WantWrite, Closed, Failed };

  // `host`: the server's address or name, checked against its certificate when the context verifies.
  TlsLink(SSL_CTX* context, int fd, const std::string& host);
  ~TlsLink();
  TlsLink(const TlsLink&) = delete;
  TlsLink& operator=(const TlsLink&) = delete;

  Status handshake();
  // Ok with n > 0 bytes of plaintext; Closed at the server's close_notify or end of stream.
  Status read(char* data, std::size_t size, std::size_t& n);
  // Ok with n > 0 bytes taken (perhaps fewer than size: call again with the rest).
  Status write(const char* data, std::size_t size, std::size_t& n);
  // Why the last call Failed, as an error code whose message is OpenSSL's (or the verification's) reason.
  boost::system::error_code error() const noexcept { return error_; }

 private:
  Status status(int result);

  SSL* ssl_;
  boost::system::error_code error_;
};

}  // namespace chat::loadtest
