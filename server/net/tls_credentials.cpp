#include "server/net/tls_credentials.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace chat {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" configuration (ssl-config.mozilla.org, version 5.7) less its DHE suites, which
// would need Diffie-Hellman parameters of our own: ECDHE key exchange, AEAD ciphers only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr unsigned char kSessionIdContext[] = "chat-server";

// OpenSSL's reason for the last failure ("no start line", "bad decrypt"), and the error queue cleared.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason ? reason : "unknown error";
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Cert = std::unique_ptr<X509, X509Free>;
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

// "tls.cert_file '/etc/chat/cert.pem'": how every message names the file.
std::string named(const char* key, const std::string& path) { return std::string(key) + " '" + path + "'"; }

File open_file(const char* key, const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw TlsCredentialsError(named(key, path) + ": is a directory");
  File file(std::fopen(path.c_str(), "r"));
  if (!file) throw TlsCredentialsError(named(key, path) + ": cannot read: " + std::strerror(errno));
  return file;
}

// Every PEM certificate in the file, in order; at least one.
std::vector<Cert> read_certificates(const char* key, const std::string& path) {
  const auto file = open_file(key, path);
  std::vector<Cert> certs;
  while (Cert cert{PEM_read_X509(file.get(), nullptr, nullptr, nullptr)}) certs.push_back(std::move(cert));
  if (certs.empty()) {
    throw TlsCredentialsError(named(key, path) + ": no PEM certificate in it (" + openssl_reason() + ")");
  }
  ERR_clear_error();  // the end of the file reads as an error too
  return certs;
}

Key read_private_key(const char* key, const std::string& path) {
  const auto file = open_file(key, path);
  // No pass phrase callback that would prompt on the terminal: an encrypted key is refused.
  const auto no_pass_phrase = [](char*, int, int, void*) { return 0; };
  Key pkey{PEM_read_PrivateKey(file.get(), nullptr, no_pass_phrase, nullptr)};
  if (!pkey) {
    throw TlsCredentialsError(named(key, path) + ": no unencrypted PEM private key in it (" + openssl_reason() + ")");
  }
  return pkey;
}

std::string fingerprint(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(cert, EVP_sha256(), digest, &length);
  std::string text;
  constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned int i = 0; i < length; ++i) {
    if (i != 0) text += ':';
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 0xF];
  }
  return text;
}

std::string describe(X509* cert) {
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string until = "?";
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      const long size = BIO_get_mem_data(bio, &data);
      until.assign(data, static_cast<std::size_t>(size));
    }
    BIO_free(bio);
  }
  const bool expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  return std::string("subject ") + subject + ", SHA-256 " + fingerprint(cert) + ", valid until " + until +
         (expired ? " (EXPIRED)" : "");
}

void apply_settings(SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION);
  // No tickets: their keys would need rotating (and sharing across reloads); resumption uses the server's
  // session cache instead. No renegotiation: a client-started one is a cheap way to make the server work.
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  // Server preference off: every suite offered is strong, and the client knows best whether it has AES in
  // hardware (ChaCha20 on phones).
  SSL_CTX_clear_options(context, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(context, 0);
  if (SSL_CTX_set_cipher_list(context, kTls12Ciphers) != 1 || SSL_CTX_set_ciphersuites(context, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(context, kGroups) != 1) {
    throw TlsCredentialsError("cannot apply the TLS settings: " + openssl_reason());
  }
  SSL_CTX_set_session_id_context(context, kSessionIdContext, sizeof kSessionIdContext - 1);
  // OpenSSL's record buffers are freed while a connection is idle: most chat connections mostly are.
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS);
}

}  // namespace

TlsCredentials::TlsCredentials(Files files) : files_(std::move(files)), current_(load(files_)) {}

TlsCredentials::Loaded TlsCredentials::load(const Files& files) {
  if (files.cert_file.empty()) throw TlsCredentialsError("tls.cert_file: not set");
  if (files.key_file.empty()) throw TlsCredentialsError("tls.key_file: not set");
  auto chain = read_certificates("tls.cert_file", files.cert_file);
  const auto key = read_private_key("tls.key_file", files.key_file);
  X509* leaf = chain.front().get();
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    throw TlsCredentialsError(named("tls.key_file", files.key_file) + ": does not match the certificate in " +
                              named("tls.cert_file", files.cert_file));
  }
  if (!files.ca_file.empty()) {
    for (auto& cert : read_certificates("tls.ca_file", files.ca_file)) chain.push_back(std::move(cert));
  }

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  apply_settings(native);
  if (SSL_CTX_use_certificate(native, leaf) != 1) {
    throw TlsCredentialsError(named("tls.cert_file", files.cert_file) + ": " + openssl_reason());
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(native, chain[i].get()) != 1) {
      throw TlsCredentialsError("cannot add a chain certificate: " + openssl_reason());
    }
  }
  if (SSL_CTX_use_PrivateKey(native, key.get()) != 1 || SSL_CTX_check_private_key(native) != 1) {
    throw TlsCredentialsError(named("tls.key_file", files.key_file) + ": " + openssl_reason());
  }
  return {std::move(context), describe(leaf)};
}

std::shared_ptr<ssl::context> TlsCredentials::current() const {
  std::lock_guard lock(mutex_);
  return current_.context;
}

void TlsCredentials::reload() {
  auto loaded = load(files_);  // outside the lock: reading files must not hold up new connections
  std::lock_guard lock(mutex_);
  current_ = std::move(loaded);  // the old context lives on in the connections that hold it
}

std::string TlsCredentials::description() const {
  std::lock_guard lock(mutex_);
  return current_.description;
}

}  // namespace chat
