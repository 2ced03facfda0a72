#include "common/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace chat {
namespace {

// Length of the sequence starting at text[i], or 0 when it is not valid UTF-8.
std::size_t sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t min_value = 0;
  std::uint32_t value = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, min_value = 0x80, value = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_value = 0x800, value = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_value = 0x10000, value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  return length;
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
  // Every request line and message text passes here, several times on its way: ASCII runs, the common
  // case, are taken eight bytes at a time.
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i + 8 <= text.size()) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      if (word & kHighBits) break;
      i += 8;
      count += 8;
    }
    if (i == text.size()) break;
    const std::size_t length = sequence_length(text, i);
    if (length == 0) return std::nullopt;
    i += length;
    ++count;
  }
  return count;
}

bool is_valid_utf8(std::string_view text) noexcept { return utf8_length(text).has_value(); }

}  // namespace chat
