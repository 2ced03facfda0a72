#include "server/net/connection_limiter.hpp"

namespace chat {

ConnectionLimiter::ConnectionLimiter(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

ConnectionLimiter::Verdict ConnectionLimiter::try_admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total_) return Verdict::TooManyTotal;
  auto& count = per_address_[address];
  if (count >= max_per_address_) {
    if (count == 0) per_address_.erase(address);
    return Verdict::TooManyFromAddress;
  }
  ++count;
  ++total_;
  return Verdict::Admitted;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  --total_;
  if (--it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimiter::active() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace chat
