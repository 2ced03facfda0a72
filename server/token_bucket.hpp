#pragma once

#include <chrono>

namespace chat {

// Rate limiter: `rate` tokens per second refill a bucket of `burst` tokens;
// each request takes one. A rate of 0 admits everything. Not thread-safe:
// one bucket belongs to one connection's reader.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate_per_sec, double burst, Clock::time_point now = Clock::now());

  // Takes a token if one is available at `now`.
  bool try_take(Clock::time_point now = Clock::now());

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace chat
