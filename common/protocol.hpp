#pragma once

#include <cstddef>
#include <string_view>

namespace chat::protocol {

// Version of the wire protocol described in docs/protocol.md.
inline constexpr int kVersion = 1;
inline constexpr std::string_view kServerName = "chat-server";
inline constexpr std::string_view kServerVersion = "0.1.0";

inline constexpr std::size_t kDefaultMaxFrameBytes = 64 * 1024;
inline constexpr std::size_t kMaxNameLength = 32;
inline constexpr std::size_t kMaxClientIdLength = 64;
inline constexpr std::size_t kMaxHistoryLimit = 100;
inline constexpr std::size_t kDefaultHistoryLimit = 50;

}  // namespace chat::protocol
