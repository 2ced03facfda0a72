#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "server/net/connection_limiter.hpp"
#include "server/auth/login_throttle.hpp"

namespace chat {

// The way to the password hash for `login` and `register`. Every log-in
// shares the hash class's few workers (pool.password_hash_threads), so one
// client guessing passwords would otherwise slow everyone's log-in down:
// - a locked account or address (LoginThrottle) is refused at once, before
//   any hash, with the wait in "retry_after_ms";
// - one address may have at most `hashes_per_address` requests waiting for
//   or running a hash; more are refused at once, so another address's log-in
//   waits behind a few of its hashes at most.
// Refusals are `rate_limited`. Thread-safe.
class LoginGate {
 public:
  struct Options {
    LoginThrottle::Options throttle;
    std::size_t hashes_per_address = 4;
  };
  struct Stats {
    std::uint64_t failures = 0;   // log-ins refused for a wrong name or password
    std::uint64_t throttled = 0;  // requests refused while their account or address was locked
    std::uint64_t busy = 0;       // requests refused because their address had too many hashes queued
  };

  explicit LoginGate(Options options);

  // When the request arrives (`account`: its canonical name, empty when it
  // has no valid one): throws ProtocolError(rate_limited) or returns the
  // request's place in its address's hash queue, to be held until it is
  // handled.
  std::shared_ptr<const void> admit(const std::string& address, const std::string& account);
  // In the handler, right before hashing: a lockout may have begun while the
  // request waited. Throws ProtocolError(rate_limited).
  void check(const std::string& address, const std::string& account);
  void failed(const std::string& account, const std::string& address);
  void succeeded(const std::string& account);

  Stats stats() const;

 private:
  void refuse_if_locked(const std::string& address, const std::string& account);

  LoginThrottle throttle_;
  // Counted like connections: the same per-address admission, here of hashing requests.
  std::shared_ptr<ConnectionLimiter> hash_queue_;
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> throttled_{0};
  std::atomic<std::uint64_t> busy_{0};
};

}  // namespace chat
