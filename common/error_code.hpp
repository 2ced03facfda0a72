#pragma once

#include <optional>
#include <string_view>

namespace chat {

// The stable error codes of the protocol (docs/protocol.md, "Error codes").
enum class ErrorCode {
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  RateLimited,
  TooLarge,
  Overloaded,
  Internal,
};

std::string_view to_string(ErrorCode code) noexcept;
std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept;

}  // namespace chat
