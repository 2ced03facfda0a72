#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol.hpp"

namespace chat {

// Names are case-insensitive: the key under which a name is compared and
// stored folds ASCII letters to lowercase and keeps every other byte as it is,
// so the result is deterministic and independent of the process locale. The
// registries key by it; for a valid name it is what the functions below give.
std::string canonical_name(std::string_view name);

// Names of users and rooms: 1..max_length characters of [A-Za-z0-9_.-],
// case-insensitive. The canonical form is lowercase; a room name may carry a
// leading '#', which is dropped. nullopt when the name breaks the rules.
std::optional<std::string> canonical_user_name(std::string_view name,
                                               std::size_t max_length = protocol::kMaxNameLength);
std::optional<std::string> canonical_room_name(std::string_view name,
                                               std::size_t max_length = protocol::kMaxNameLength);

}  // namespace chat
