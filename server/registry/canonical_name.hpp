#pragma once

#include <string>
#include <string_view>

namespace chat {

// The key under which registries store user and room names: names are
// case-insensitive, so "General" and "general" are one room. Only ASCII
// letters are folded; other bytes (UTF-8 included) are kept as they are, so
// the result is deterministic and independent of the process locale.
std::string canonical_name(std::string_view name);

}  // namespace chat
