#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chat {

// The pool's concurrency class for work that hashes passwords (its limit is pool.password_hash_threads).
inline constexpr std::string_view kPasswordHashClass = "password_hash";

// Argon2id password hashing through libsodium. Deliberately slow and
// memory-hungry: callers run it in the pool's kPasswordHashClass concurrency
// class so that it cannot take every worker. Thread-safe.
class PasswordHasher {
 public:
  PasswordHasher(std::uint64_t ops_limit, std::uint64_t mem_limit_kib);

  // The encoded hash (algorithm, parameters and salt included).
  std::string hash(std::string_view password) const;
  bool verify(std::string_view password, const std::string& encoded_hash) const;

 private:
  std::uint64_t ops_limit_;
  std::size_t mem_limit_bytes_;
};

}  // namespace chat
