#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/net/token_bucket.hpp"

namespace chat {

// Answers that tell whether a name exists — `guest` or `register` finding it
// taken, `dm` or `invite` finding no such user — cost the asking address a
// token from a bucket of its own (`burst` tokens, refilled at `per_min` a
// minute), so that the names of a server cannot be listed at its request
// rate (docs/architecture.md, "Name probes"). While the bucket is empty every
// such request from the address is refused before the name is looked up,
// whatever the answer would have been; requests that find what they look for
// (a free name taken, a message sent) cost nothing.
//
// At most `max_entries` addresses are remembered: when full, the buckets that
// have refilled are forgotten (at most once a second); if none has, a new
// address is not limited until one is. Thread-safe.
class NameProbes {
 public:
  using Clock = TokenBucket::Clock;

  struct Options {
    double per_min = 30;
    std::uint32_t burst = 20;
    std::size_t max_entries = 100000;
  };

  explicit NameProbes(Options options);

  // Before a name is looked up: how long the address must wait for a token,
  // zero when it has one. A wait counts as a refusal.
  std::chrono::milliseconds retry_after(const std::string& address, Clock::time_point now = Clock::now());
  // After an answer that told the address a name exists or does not.
  void charge(const std::string& address, Clock::time_point now = Clock::now());

  std::uint64_t refused() const;

 private:
  bool make_room(Clock::time_point now);

  const Options options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
  Clock::time_point next_sweep_{};
  std::uint64_t refused_ = 0;
};

}  // namespace chat
