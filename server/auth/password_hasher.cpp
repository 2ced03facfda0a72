#include "server/auth/password_hasher.hpp"

#include <sodium.h>

#include <stdexcept>

namespace chat {

PasswordHasher::PasswordHasher(std::uint64_t ops_limit, std::uint64_t mem_limit_kib)
    : ops_limit_(ops_limit), mem_limit_bytes_(static_cast<std::size_t>(mem_limit_kib) * 1024) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string PasswordHasher::hash(std::string_view password) const {
  char encoded[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), ops_limit_, mem_limit_bytes_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return encoded;
}

bool PasswordHasher::verify(std::string_view password, const std::string& encoded_hash) const {
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace chat
