#include "server/registry/canonical_name.hpp"

namespace chat {

std::string canonical_name(std::string_view name) {
  std::string key(name);
  for (char& c : key) {
    // Not std::tolower: it depends on the global locale.
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return key;
}

}  // namespace chat
