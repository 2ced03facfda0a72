#pragma once

#include <chrono>

namespace chat {

// Rate limiter: `rate` tokens per second refill a bucket of `burst` tokens;
// each request takes one. A rate of 0 admits everything. Not thread-safe:
// one bucket belongs to one connection's reader, or is used under its
// owner's lock.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_sec, double burst, Clock::time_point now = Clock::now());

  // Takes a token if one is available at `now`.
  bool try_take(Clock::time_point now = Clock::now());
  // How long until a token is available: zero when one is now.
  Clock::duration wait(Clock::time_point now = Clock::now()) const;
  // Whether the bucket has refilled completely: it then remembers nothing
  // a new bucket would not, and its owner may forget it.
  bool full(Clock::time_point now = Clock::now()) const;

 private:
  double tokens_at(Clock::time_point now) const;

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace chat
