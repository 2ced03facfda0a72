#include "server/token_bucket.hpp"

#include <algorithm>

namespace chat {

TokenBucket::TokenBucket(double rate_per_sec, double burst, Clock::time_point now)
    : rate_(rate_per_sec), burst_(burst), tokens_(burst), last_(now) {}

bool TokenBucket::try_take(Clock::time_point now) {
  if (rate_ <= 0) return true;
  const std::chrono::duration<double> elapsed = now - last_;
  if (elapsed.count() > 0) {
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

}  // namespace chat
