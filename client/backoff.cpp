#include "client/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace chat::client {

Backoff::Backoff(BackoffPolicy policy, std::function<double()> random)
    : policy_(policy), random_(std::move(random)) {
  if (!random_) {
    random_ = [engine = std::minstd_rand(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    };
  }
}

std::optional<std::chrono::milliseconds> Backoff::next_delay() {
  if (policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts) return std::nullopt;
  const double initial = static_cast<double>(policy_.initial.count());
  const double cap = static_cast<double>(policy_.max.count());
  const double base = std::min(cap, initial * std::pow(policy_.factor, attempts_));
  ++attempts_;
  const double spread = 1.0 + policy_.jitter * (2.0 * random_() - 1.0);
  return std::chrono::milliseconds(std::llround(std::max(0.0, base * spread)));
}

void Backoff::reset() noexcept { attempts_ = 0; }

}  // namespace chat::client
