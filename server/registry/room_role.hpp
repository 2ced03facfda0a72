#pragma once

#include <cstdint>

namespace chat {

// A persistent member's role in a room; ordered so that `role >= Moderator`
// reads as "may moderate".
enum class RoomRole : std::uint8_t { Member, Moderator, Owner };

}  // namespace chat
