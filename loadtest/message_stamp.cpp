#include "loadtest/message_stamp.hpp"

#include <charconv>

namespace chat::loadtest {

std::string stamped_text(std::uint64_t send_us, std::size_t size) {
  std::string text = std::to_string(send_us);
  if (text.size() < size) {
    text.push_back(' ');
    text.resize(size, 'x');
  }
  return text;
}

std::optional<std::uint64_t> read_stamp(std::string_view text) noexcept {
  std::uint64_t value = 0;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, value);
  if (ec != std::errc{} || end == text.data() || (end != last && *end != ' ')) return std::nullopt;
  return value;
}

}  // namespace chat::loadtest
