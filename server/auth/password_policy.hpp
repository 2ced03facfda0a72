#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// The longest password accepted: hashing cost grows with it, and no one types more.
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// What a new password must be, for `register` and for `chat-server user add`:
// auth.password_min_length to kMaxPasswordBytes bytes. Returns why it is not
// acceptable ("password must be 8 to 1024 bytes"), or nullopt.
std::optional<std::string> password_problem(std::string_view password, std::size_t min_length);

}  // namespace chat
