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
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += (c == '\n' || c == '\t') ? ' ' : '?';
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
