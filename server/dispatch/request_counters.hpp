#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

// Requests that were not handled as asked, for `stats`. Thread-safe.
struct RequestCounters {
  std::atomic<std::uint64_t> busy{0};       // refused at once: the work queue was full
  std::atomic<std::uint64_t> expired{0};    // waited in the queue past limits.request_deadline_ms: answered overloaded
  std::atomic<std::uint64_t> cancelled{0};  // their connection closed while they waited: not run
};

}  // namespace chat
