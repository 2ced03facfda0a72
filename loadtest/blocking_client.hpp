#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/line_framer.hpp"
#include "loadtest/tls_link.hpp"

namespace chat::loadtest {

// A plain synchronous connection for the few requests the parent makes
// before the run (creating rooms), over TLS when given a context. Every wait
// is bounded by the timeout; failures throw std::runtime_error.
class BlockingClient {
 public:
  BlockingClient(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                 SSL_CTX* tls = nullptr);
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // The next line as JSON (events included).
  nlohmann::json read_message();
  // Sends op with the given fields and a fresh id; returns the reply with
  // that id, skipping events and other replies.
  nlohmann::json request(std::string_view op, const nlohmann::json& fields = nlohmann::json::object());

 private:
  void wait(short events);
  // Waits for what a TLS call asked for; throws when it failed.
  void wait_for(TlsLink::Status status, const std::string& what);
  void send_all(std::string_view bytes);
  // Some bytes from the server into the framer; throws at its end.
  void receive();

  int fd_ = -1;
  std::unique_ptr<TlsLink> tls_;
  std::chrono::milliseconds timeout_;
  LineFramer framer_;
  std::int64_t next_id_ = 1;
};

}  // namespace chat::loadtest
