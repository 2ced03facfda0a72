#include "loadtest/message_stamp.hpp"

#include <charconv>

namespace chat::loadtest {
namespace {

void append_number(std::string& out, std::uint64_t value) {
  char digits[20];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// A decimal number at the front of text, ended by the end of text or by ' ';
// text moves past it (and past the space).
std::optional<std::uint64_t> take_number(std::string_view& text) noexcept {
  std::uint64_t value = 0;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(text.data(), last, value);
  if (ec != std::errc{} || end == text.data() || (end != last && *end != ' ')) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()) + (end != last ? 1 : 0));
  return value;
}

}  // namespace

std::string stamped_text(std::uint64_t send_us, std::size_t size) {
  std::string text = std::to_string(send_us);
  if (text.size() < size) {
    text.push_back(' ');
    text.resize(size, 'x');
  }
  return text;
}

std::optional<std::uint64_t> read_stamp(std::string_view text) noexcept { return take_number(text); }

void append_stamped_text(std::string& out, const SenderStamp& stamp, std::size_t size) {
  const std::size_t start = out.size();
  append_number(out, stamp.send_us);
  out.push_back(' ');
  append_number(out, stamp.sender);
  out.push_back(' ');
  append_number(out, stamp.seq);
  if (out.size() - start < size) {
    out.push_back(' ');
    out.resize(start + size, 'x');
  }
}

std::optional<SenderStamp> read_sender_stamp(std::string_view text) noexcept {
  SenderStamp stamp;
  const auto send_us = take_number(text);
  if (!send_us || text.empty()) return std::nullopt;
  const auto sender = take_number(text);
  if (!sender || *sender > UINT32_MAX || text.empty()) return std::nullopt;
  const auto seq = take_number(text);
  if (!seq) return std::nullopt;
  return SenderStamp{*send_us, static_cast<std::uint32_t>(*sender), *seq};
}

}  // namespace chat::loadtest
