#include "common/error_code.hpp"

#include <array>
#include <utility>

namespace chat {
namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 9> kNames{{
    {ErrorCode::BadRequest, "bad_request"},
    {ErrorCode::Unauthorized, "unauthorized"},
    {ErrorCode::Forbidden, "forbidden"},
    {ErrorCode::NotFound, "not_found"},
    {ErrorCode::Conflict, "conflict"},
    {ErrorCode::RateLimited, "rate_limited"},
    {ErrorCode::TooLarge, "too_large"},
    {ErrorCode::Overloaded, "overloaded"},
    {ErrorCode::Internal, "internal"},
}};

}  // namespace

std::string_view to_string(ErrorCode code) noexcept {
  for (const auto& [value, name] : kNames) {
    if (value == code) return name;
  }
  return "internal";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) noexcept {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace chat
