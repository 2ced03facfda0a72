#include "server/auth/password_policy.hpp"

namespace chat {

std::optional<std::string> password_problem(std::string_view password, std::size_t min_length) {
  if (password.size() >= min_length && password.size() <= kMaxPasswordBytes) return std::nullopt;
  return "password must be " + std::to_string(min_length) + " to " + std::to_string(kMaxPasswordBytes) + " bytes";
}

}  // namespace chat
