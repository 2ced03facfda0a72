#include "server/auth/login_throttle.hpp"

#include <algorithm>

namespace chat {

namespace {
// A full table is swept at most this often, so that a flood of new keys cannot make every failure O(n).
constexpr auto kTableSweepInterval = std::chrono::seconds(1);
// Doubling stops here: 2^30 lockouts exceed any lockout_max the configuration allows.
constexpr std::uint32_t kMaxDoublings = 30;
}  // namespace

LoginThrottle::LoginThrottle(Options options) : options_(options) {}

std::chrono::milliseconds LoginThrottle::remaining(const Table& table, std::string_view key,
                                                   Clock::time_point now) const {
  const auto found = table.entries.find(std::string(key));
  if (found == table.entries.end() || found->second.locked_until <= now) return std::chrono::milliseconds::zero();
  // Rounded up: a client that waits exactly this long finds the lock gone.
  return std::chrono::ceil<std::chrono::milliseconds>(found->second.locked_until - now);
}

std::chrono::milliseconds LoginThrottle::retry_after(std::string_view account, std::string_view address,
                                                     Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  return std::max(remaining(accounts_, account, now), remaining(addresses_, address, now));
}

void LoginThrottle::record_failure(std::string_view account, std::string_view address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  fail(accounts_, account, options_.account_failures, now);
  fail(addresses_, address, options_.address_failures, now);
}

void LoginThrottle::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  accounts_.entries.erase(std::string(account));
}

std::size_t LoginThrottle::tracked() const {
  std::lock_guard lock(mutex_);
  return accounts_.entries.size() + addresses_.entries.size();
}

void LoginThrottle::fail(Table& table, std::string_view key, std::uint32_t allowance, Clock::time_point now) {
  auto found = table.entries.find(std::string(key));
  if (found == table.entries.end()) {
    if (!make_room(table, now)) return;
    found = table.entries.emplace(std::string(key), Entry{}).first;
  }
  Entry& entry = found->second;
  if (now - entry.last_failure > options_.window) entry.failures = 0;
  ++entry.failures;
  entry.last_failure = now;
  if (entry.failures < allowance) return;
  const auto doublings = std::min(entry.failures - allowance, kMaxDoublings);
  const auto lockout = std::min<std::chrono::milliseconds>(options_.lockout * (std::int64_t{1} << doublings),
                                                           options_.lockout_max);
  entry.locked_until = now + lockout;
}

bool LoginThrottle::make_room(Table& table, Clock::time_point now) {
  if (table.entries.size() < options_.max_entries) return true;
  if (now < table.next_sweep) return false;
  table.next_sweep = now + kTableSweepInterval;
  std::erase_if(table.entries, [&](const auto& item) {
    const Entry& entry = item.second;
    return entry.locked_until <= now && now - entry.last_failure > options_.window;
  });
  if (table.entries.size() < options_.max_entries) return true;
  // Still full of recent failures: forget those not locked now, which cost an attacker the least to renew.
  std::erase_if(table.entries, [&](const auto& item) { return item.second.locked_until <= now; });
  return table.entries.size() < options_.max_entries;
}

}  // namespace chat
