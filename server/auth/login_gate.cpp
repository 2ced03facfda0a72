#include "server/auth/login_gate.hpp"

#include <limits>

#include "common/protocol_error.hpp"

namespace chat {

LoginGate::LoginGate(Options options)
    : throttle_(options.throttle),
      hash_queue_(std::make_shared<ConnectionLimiter>(std::numeric_limits<std::size_t>::max(),
                                                      options.hashes_per_address)) {}

void LoginGate::refuse_if_locked(const std::string& address, const std::string& account) {
  const auto wait = throttle_.retry_after(account, address);
  if (wait <= std::chrono::milliseconds::zero()) return;
  throttled_.fetch_add(1, std::memory_order_relaxed);
  throw ProtocolError(ErrorCode::RateLimited, "too many failed log-ins; retry later", wait);
}

std::shared_ptr<const void> LoginGate::admit(const std::string& address, const std::string& account) {
  refuse_if_locked(address, account);
  if (hash_queue_->try_admit(address) != ConnectionLimiter::Verdict::Admitted) {
    busy_.fetch_add(1, std::memory_order_relaxed);
    throw ProtocolError(ErrorCode::RateLimited,
                        "too many log-ins from your address at once; retry when one is answered");
  }
  // Released when the request, and so the last copy of this, is gone; the limiter lives as long.
  class Place {
   public:
    Place(std::shared_ptr<ConnectionLimiter> queue, std::string address)
        : queue_(std::move(queue)), address_(std::move(address)) {}
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    ~Place() { queue_->release(address_); }

   private:
    std::shared_ptr<ConnectionLimiter> queue_;
    std::string address_;
  };
  return std::make_shared<const Place>(hash_queue_, address);
}

void LoginGate::check(const std::string& address, const std::string& account) { refuse_if_locked(address, account); }

void LoginGate::failed(const std::string& account, const std::string& address) {
  failures_.fetch_add(1, std::memory_order_relaxed);
  throttle_.record_failure(account, address);
}

void LoginGate::succeeded(const std::string& account) { throttle_.record_success(account); }

LoginGate::Stats LoginGate::stats() const {
  return Stats{failures_.load(std::memory_order_relaxed), throttled_.load(std::memory_order_relaxed),
               busy_.load(std::memory_order_relaxed)};
}

}  // namespace chat
