#pragma once
// Internal: acquires a std::mutex by polling try_lock() briefly before blocking. The pool's
// critical sections last a few hundred nanoseconds, far less than a futex sleep and wake-up
// (several microseconds on a VM), so a short poll nearly always wins the lock without a system
// call, and a holder that releases it then does not have to make one either (nobody sleeps on
// it). Waiters still block after the poll, so a descheduled holder costs little CPU.
// Thread-safety: as std::mutex.

#include <mutex>

#include "server/concurrency/cpu_relax.hpp"

namespace chat::detail {

// How many try_lock() polls before blocking. Each poll is a relaxed read plus, when free, one
// CAS; with the pause hint in between this is roughly one to a few microseconds.
inline constexpr int kLockPolls = 64;

// `lk` must be associated with a mutex and not own it.
inline void lock_polling(std::unique_lock<std::mutex>& lk) {
  for (int i = 0; i < kLockPolls; ++i) {
    if (lk.try_lock()) return;
    cpu_relax();
  }
  lk.lock();
}

}  // namespace chat::detail
