#include "client/server_fields.hpp"

#include <limits>

namespace chat::client {
namespace {

const nlohmann::json* field(const nlohmann::json& message, std::string_view key) {
  if (!message.is_object()) return nullptr;
  const auto it = message.find(key);
  return it == message.end() ? nullptr : &*it;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto at = [&](std::size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += (c == '\n' || c == '\t') ? ' ' : '?';
    } else if (byte == 0xC2 && at(i + 1) >= 0x80 && at(i + 1) <= 0x9F) {
      // U+0080..U+009F, the C1 controls: U+009B is a CSI to terminals that take 8-bit controls.
      out += '?';
      i += 1;
    } else if (byte == 0xE2 && ((at(i + 1) == 0x80 && at(i + 2) >= 0xAA && at(i + 2) <= 0xAE) ||
                                (at(i + 1) == 0x81 && at(i + 2) >= 0xA6 && at(i + 2) <= 0xA9))) {
      // U+202A..U+202E and U+2066..U+2069, the bidirectional overrides and isolates: they would reorder
      // what follows on the line, the sender's name or the next message included.
      out += '?';
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string string_field(const nlohmann::json& message, std::string_view key) {
  const auto* value = field(message, key);
  return value && value->is_string() ? printable(value->get_ref<const std::string&>()) : std::string{};
}

std::optional<std::int64_t> int_field(const nlohmann::json& message, std::string_view key) {
  const auto* value = field(message, key);
  if (!value || !value->is_number_integer()) return std::nullopt;
  // An unsigned value beyond int64 is no seq or id this protocol uses.
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

bool bool_field(const nlohmann::json& message, std::string_view key) {
  const auto* value = field(message, key);
  return value && value->is_boolean() && value->get<bool>();
}

const nlohmann::json& array_field(const nlohmann::json& message, std::string_view key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  const auto* value = field(message, key);
  return value && value->is_array() ? *value : kEmpty;
}

}  // namespace chat::client
