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

// The send time written by stamped_text (or append_stamped_text); nullopt for
// any other text.
std::optional<std::uint64_t> read_stamp(std::string_view text) noexcept;

// Where the server gives no sender and no seq (Redis pub/sub), the text
// carries them: the sender's rank among its room's senders and its own
// message number, 1, 2, 3, ...
struct SenderStamp {
  std::uint64_t send_us = 0;
  std::uint32_t sender = 0;
  std::uint64_t seq = 0;
  bool operator==(const SenderStamp&) const = default;
};

// Appends "<send_us> <sender> <seq>", then padding up to size (never cut
// below the stamp), to out: a reused buffer, so that sending allocates nothing.
void append_stamped_text(std::string& out, const SenderStamp& stamp, std::size_t size);

// The stamp written by append_stamped_text; nullopt for any other text.
std::optional<SenderStamp> read_sender_stamp(std::string_view text) noexcept;

}  // namespace chat::loadtest
