#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace chat {

// Failed log-ins counted per account name and per client address, with a
// lockout that grows with every failure past an allowance, as Synapse's
// rc_login failed_attempts and Ergo's login-throttling do: after
// `account_failures` failures of one account (or `address_failures` from
// one address), that account (or address) is locked for `lockout`, then
// twice as long after each further failure, up to `lockout_max`. A key whose
// last failure is older than `window` starts again from zero, and a
// successful log-in forgets the account's failures (not the address's: an
// attacker with one account of its own cannot wipe its record that way).
// Names that are no account count like accounts, so that a lockout does not
// tell which names exist.
//
// At most `max_entries` keys of each kind are remembered: when full, keys
// neither locked nor failed within the window are forgotten (at most once a
// second); if none can be, a new key is not tracked until some can.
// Thread-safe; every call is O(1) but that sweep.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::uint32_t account_failures = 5;
    std::uint32_t address_failures = 20;
    std::chrono::milliseconds lockout{1000};
    std::chrono::milliseconds lockout_max{300000};
    std::chrono::seconds window{900};
    std::size_t max_entries = 100000;
  };

  explicit LoginThrottle(Options options);

  // How long a log-in as `account` from `address` must still wait: zero when
  // it may be tried now.
  std::chrono::milliseconds retry_after(std::string_view account, std::string_view address,
                                        Clock::time_point now = Clock::now()) const;
  void record_failure(std::string_view account, std::string_view address, Clock::time_point now = Clock::now());
  void record_success(std::string_view account);

  // Keys remembered now, of both kinds (for tests and stats).
  std::size_t tracked() const;

 private:
  struct Entry {
    std::uint32_t failures = 0;
    Clock::time_point last_failure{};
    Clock::time_point locked_until{};
  };
  struct Table {
    std::unordered_map<std::string, Entry> entries;
    Clock::time_point next_sweep{};
  };

  std::chrono::milliseconds remaining(const Table& table, std::string_view key, Clock::time_point now) const;
  void fail(Table& table, std::string_view key, std::uint32_t allowance, Clock::time_point now);
  // Makes room for a new key if the table is full; false when there is none.
  bool make_room(Table& table, Clock::time_point now);

  const Options options_;
  mutable std::mutex mutex_;
  Table accounts_;
  Table addresses_;
};

}  // namespace chat
