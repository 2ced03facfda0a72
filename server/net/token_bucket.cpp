#include "server/net/token_bucket.hpp"

#include <algorithm>

namespace chat {

TokenBucket::TokenBucket(double rate_per_sec, double burst, Clock::time_point now)
    : rate_(rate_per_sec), burst_(burst), tokens_(burst), last_(now) {}

double TokenBucket::tokens_at(Clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - last_;
  if (elapsed.count() <= 0) return tokens_;
  return std::min(burst_, tokens_ + elapsed.count() * rate_);
}

bool TokenBucket::try_take(Clock::time_point now) {
  if (rate_ <= 0) return true;
  if (now > last_) {
    tokens_ = tokens_at(now);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

TokenBucket::Clock::duration TokenBucket::wait(Clock::time_point now) const {
  if (rate_ <= 0) return Clock::duration::zero();
  const double missing = 1.0 - tokens_at(now);
  if (missing <= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(missing / rate_));
}

bool TokenBucket::full(Clock::time_point now) const { return rate_ <= 0 || tokens_at(now) >= burst_; }

}  // namespace chat
