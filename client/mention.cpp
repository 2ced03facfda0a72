#include "client/mention.hpp"

namespace chat::client {
namespace {

// ASCII only, on purpose: names are ASCII (common/names), and the C locale
// functions would make the answer depend on the environment.
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool word_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool equal_at(std::string_view text, std::size_t at, std::string_view name) noexcept {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (lower(text[at + i]) != lower(name[i])) return false;
  }
  return true;
}

// The name ends here unless a word character follows, or a '.' that is part
// of a longer name ("alice.b").
bool ends_word(std::string_view text, std::size_t end) noexcept {
  if (end >= text.size()) return true;
  if (word_char(text[end])) return false;
  if (text[end] == '.') return end + 1 >= text.size() || !word_char(text[end + 1]);
  return true;
}

}  // namespace

bool mentions(std::string_view text, std::string_view name) noexcept {
  if (name.empty() || name.size() > text.size()) return false;
  for (std::size_t at = 0; at + name.size() <= text.size(); ++at) {
    const bool starts_word = at == 0 || (!word_char(text[at - 1]) && text[at - 1] != '.');
    if (starts_word && equal_at(text, at, name) && ends_word(text, at + name.size())) return true;
  }
  return false;
}

}  // namespace chat::client
