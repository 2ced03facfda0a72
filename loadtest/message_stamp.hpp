#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::loadtest {

// The text of a load-test message: its send time (now_us()) in decimal, then
// padding up to the requested size, so that any receiver can compute the
// end-to-end latency from the text alone.
std::string stamped_text(std::uint64_t send_us, std::size_t size);

// The send time written by stamped_text; nullopt for any other text.
std::optional<std::uint64_t> read_stamp(std::string_view text) noexcept;

}  // namespace chat::loadtest
