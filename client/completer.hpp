#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/known_names.hpp"

namespace chat::client {

// Tab completion candidates for `word`, the word under the cursor; `before`
// is the line up to where that word starts. Commands after a leading '/',
// rooms for words starting with '#' or in a room slot, users elsewhere
// (so a nick in plain text completes too). At the start of a line a user
// comes as "nick:" (readline adds the space), addressing them, IRC style;
// those are the members and speakers seen in `room` (the room shown), or
// any user when none is known there. Sorted, without duplicates.
std::vector<std::string> completions(std::string_view before, std::string_view word, const KnownNames& names,
                                     std::string_view room = {});

}  // namespace chat::client
