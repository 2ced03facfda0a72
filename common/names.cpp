#include "common/names.hpp"

namespace chat {
namespace {

bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

// Not std::tolower: it depends on the global locale.
char to_lower_ascii(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string canonical_name(std::string_view name) {
  std::string key(name);
  for (char& c : key) c = to_lower_ascii(c);
  return key;
}

std::optional<std::string> canonical_user_name(std::string_view name, std::size_t max_length) {
  if (name.empty() || name.size() > max_length) return std::nullopt;
  std::string canonical;
  canonical.reserve(name.size());
  for (const char c : name) {
    if (!is_name_char(c)) return std::nullopt;
    canonical.push_back(to_lower_ascii(c));
  }
  return canonical;
}

std::optional<std::string> canonical_room_name(std::string_view name, std::size_t max_length) {
  if (!name.empty() && name.front() == '#') name.remove_prefix(1);
  return canonical_user_name(name, max_length);
}

}  // namespace chat
