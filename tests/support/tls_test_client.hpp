#pragma once
// A blocking TLS protocol client and throwaway certificates, for the TLS integration tests.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace chat::test {

// A self-signed pair made by scripts/dev-cert.sh (CN=localhost, SAN localhost and 127.0.0.1) in `dir`;
// throws when the script fails.
struct CertPair {
  std::filesystem::path cert;
  std::filesystem::path key;
};
CertPair make_dev_cert(const std::filesystem::path& dir);
// The SHA-256 fingerprint of the first certificate in a PEM file, as hex.
std::string file_fingerprint(const std::filesystem::path& cert);

// TLS to 127.0.0.1:port, verifying the server's certificate against `ca_file` (and its IP address) unless it is
// empty; on the HTTPS port (http.tls), with read_hello false, it speaks raw HTTP (send_raw, read_until_closed). The handshake happens in the constructor; throws std::runtime_error with OpenSSL's reason when it fails.
// Replies are matched by id; events read meanwhile are dropped unless waited for with next().
class TlsTestClient {
 public:
  using Json = nlohmann::json;

  TlsTestClient(std::uint16_t port, const std::filesystem::path& ca_file, bool read_hello = true,
                const char* source_address = nullptr);
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  const Json& hello() const noexcept { return hello_; }
  // SHA-256 of the certificate the server presented, as hex.
  std::string peer_fingerprint() const;
  // "TLSv1.3"...
  std::string protocol() const;

  void send(const Json& message);
  // Sends exactly these bytes (an HTTP request over HTTPS, say).
  void send_raw(std::string_view bytes);
  // Everything the server sends until it closes the connection, or until the timeout.
  std::string read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next line, or nullopt at the timeout; throws once the connection is closed.
  std::optional<Json> next(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  Json request(std::string_view op, Json fields = Json::object());
  // True when the server ended the connection within the timeout.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  Json hello_;
  std::int64_t next_id_ = 1;
  bool closed_ = false;
};

}  // namespace chat::test
