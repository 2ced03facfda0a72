#pragma once

#include <atomic>
#include <cstdint>

namespace chat {

// Log-ins that succeeded, by how the connection got its name, for `stats` and /metrics (the refusals are the
// LoginGate's). Thread-safe.
struct LoginCounters {
  std::atomic<std::uint64_t> accounts{0};       // `login` with a password
  std::atomic<std::uint64_t> registrations{0};  // `register`: a new account, logged in at once
  std::atomic<std::uint64_t> guests{0};         // `guest`
};

}  // namespace chat
