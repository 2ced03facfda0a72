#include "tests/support/tls_test_client.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "tests/support/child_process.hpp"
#include "tests/support/loopback_socket.hpp"

namespace chat::test {

namespace {

std::string hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    text += kHex[bytes[i] >> 4];
    text += kHex[bytes[i] & 0xF];
  }
  return text;
}

std::string fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  return hex(digest, length);
}

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
}

}  // namespace

CertPair make_dev_cert(const std::filesystem::path& dir) {
  const auto script = std::filesystem::path(CHAT_SOURCE_DIR) / "scripts" / "dev-cert.sh";
  const auto run = run_to_end({"/bin/bash", script.string(), dir.string(), "2"}, std::chrono::seconds(30));
  if (run.status != 0) throw std::runtime_error("dev-cert.sh failed: " + run.out + run.err);
  return {dir / "cert.pem", dir / "key.pem"};
}

std::string file_fingerprint(const std::filesystem::path& cert) {
  std::FILE* file = std::fopen(cert.c_str(), "r");
  if (!file) throw std::runtime_error("cannot open " + cert.string());
  X509* x509 = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (!x509) throw std::runtime_error("no certificate in " + cert.string());
  auto text = fingerprint(x509);
  X509_free(x509);
  return text;
}

TlsTestClient::TlsTestClient(std::uint16_t port, const std::filesystem::path& ca_file, bool read_hello,
                             const char* source_address) {
  // OpenSSL writes with write(): a server that closed the connection must give EPIPE, not end the test.
  std::signal(SIGPIPE, SIG_IGN);
  fd_ = connect_loopback(port, source_address);
  context_ = SSL_CTX_new(TLS_client_method());
  if (ca_file.empty()) {
    SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);
  } else {
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr) != 1) {
      throw std::runtime_error("cannot load " + ca_file.string() + ": " + openssl_error());
    }
  }
  ssl_ = SSL_new(context_);
  SSL_set_fd(ssl_, fd_);
  if (!ca_file.empty()) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  // A blocking socket: a server that never answers must not hang the test.
  timeval timeout{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (SSL_connect(ssl_) != 1) {
    const long verify = SSL_get_verify_result(ssl_);
    std::string what = "TLS handshake failed: " + openssl_error();
    if (verify != X509_V_OK) what += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    SSL_free(ssl_);
    ssl_ = nullptr;
    SSL_CTX_free(context_);
    context_ = nullptr;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(what);
  }
  if (read_hello) {
    auto hello = next(std::chrono::seconds(10));
    if (!hello) throw std::runtime_error("no hello from the server over TLS");
    hello_ = *hello;
  }
}

TlsTestClient::~TlsTestClient() {
  if (ssl_) SSL_free(ssl_);
  if (context_) SSL_CTX_free(context_);
  if (fd_ >= 0) ::close(fd_);
}

std::string TlsTestClient::peer_fingerprint() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return {};
  auto text = fingerprint(cert);
  X509_free(cert);
  return text;
}

std::string TlsTestClient::protocol() const { return SSL_get_version(ssl_); }

void TlsTestClient::send(const Json& message) { send_raw(message.dump() + "\n"); }

void TlsTestClient::send_raw(std::string_view bytes) {
  if (SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) != static_cast<int>(bytes.size())) {
    throw std::runtime_error("SSL_write failed: " + openssl_error());
  }
}

std::string TlsTestClient::read_until_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Lines have their '\n' put back: the caller gets the bytes as they came.
  std::string all;
  try {
    while (auto line = read_line(remaining(deadline))) all += *line + "\n";
  } catch (const std::runtime_error&) {
    // closed: what came before is all there is
  }
  return all + std::exchange(buffer_, {});
}

std::optional<std::string> TlsTestClient::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    if (closed_) throw std::runtime_error("connection closed by the server");
    if (SSL_pending(ssl_) == 0) {
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(remaining(deadline).count()));
      if (ready == 0) return std::nullopt;
      if (ready < 0) continue;
    }
    char chunk[16384];
    const int n = SSL_read(ssl_, chunk, sizeof chunk);
    if (n <= 0) {
      const int error = SSL_get_error(ssl_, n);
      if (error == SSL_ERROR_WANT_READ) continue;  // a record not yet whole, or a post-handshake message
      ERR_clear_error();
      closed_ = true;
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<nlohmann::json> TlsTestClient::next(std::chrono::milliseconds timeout) {
  auto line = read_line(timeout);
  if (!line) return std::nullopt;
  return Json::parse(*line);
}

nlohmann::json TlsTestClient::request(std::string_view op, Json fields) {
  const std::int64_t id = next_id_++;
  fields["op"] = op;
  fields["id"] = id;
  send(fields);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (auto message = next(remaining(deadline))) {
    if (message->contains("id") && (*message)["id"] == id) return *message;
  }
  throw std::runtime_error("no reply to " + std::string(op) + " over TLS");
}

bool TlsTestClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    while (read_line(remaining(deadline))) {
    }
    return closed_;
  } catch (const std::runtime_error&) {
    return true;
  }
}

}  // namespace chat::test
