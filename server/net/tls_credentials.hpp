#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace chat {

// The server's TLS certificate and key (tls.cert_file, tls.key_file, tls.ca_file), loaded into a server
// context with Mozilla's "intermediate" settings (docs/operations.md, "TLS"): TLS 1.2 and 1.3 only, ECDHE
// with AES-GCM or ChaCha20-Poly1305 for 1.2, no compression, no renegotiation, no session tickets, the
// client's cipher preference.
//
// Each new connection takes current(); reload() builds a whole new context and swaps it in, so connections
// keep the context they started with and a failed reload leaves the old pair in use. Thread-safe.
class TlsCredentials {
 public:
  struct Files {
    std::string cert_file;  // PEM: the certificate, optionally followed by its chain
    std::string key_file;   // PEM: the private key matching it
    std::string ca_file;    // PEM, optional: intermediate certificates sent after it
  };

  // Loads the files; throws TlsCredentialsError naming the file and the reason (missing, unreadable, not PEM,
  // a key that does not match the certificate).
  explicit TlsCredentials(Files files);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Reads the same files again. On success later connections use the new pair; on failure throws
  // TlsCredentialsError and nothing changes.
  void reload();
  // "subject CN=..., SHA-256 AB:CD:..., valid until ...": for the log.
  std::string description() const;

 private:
  struct Loaded {
    std::shared_ptr<boost::asio::ssl::context> context;
    std::string description;
  };
  static Loaded load(const Files& files);

  const Files files_;
  mutable std::mutex mutex_;
  Loaded current_;
};

class TlsCredentialsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace chat
