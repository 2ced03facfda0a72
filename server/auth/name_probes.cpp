#include "server/auth/name_probes.hpp"

namespace chat {

namespace {
// A full table is swept at most this often, so that a flood of new addresses cannot make every probe O(n).
constexpr auto kProbeSweepInterval = std::chrono::seconds(1);
}  // namespace

NameProbes::NameProbes(Options options) : options_(options) {}

std::chrono::milliseconds NameProbes::retry_after(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto found = buckets_.find(address);
  if (found == buckets_.end()) return std::chrono::milliseconds::zero();
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(found->second.wait(now));
  if (wait > std::chrono::milliseconds::zero()) ++refused_;
  return wait;
}

void NameProbes::charge(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(address);
  if (found == buckets_.end()) {
    if (!make_room(now)) return;
    const TokenBucket bucket(options_.per_min / 60.0, static_cast<double>(options_.burst), now);
    found = buckets_.emplace(address, bucket).first;
  }
  found->second.try_take(now);
}

std::uint64_t NameProbes::refused() const {
  std::lock_guard lock(mutex_);
  return refused_;
}

bool NameProbes::make_room(Clock::time_point now) {
  if (buckets_.size() < options_.max_entries) return true;
  if (now < next_sweep_) return false;
  next_sweep_ = now + kProbeSweepInterval;
  std::erase_if(buckets_, [&](const auto& item) { return item.second.full(now); });
  return buckets_.size() < options_.max_entries;
}

}  // namespace chat
