#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chat {

// Strict UTF-8 validation (RFC 3629): rejects overlong forms, surrogates and
// code points above U+10FFFF.
bool is_valid_utf8(std::string_view text) noexcept;

// Number of code points in valid UTF-8 text; nullopt if the text is invalid.
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

}  // namespace chat
