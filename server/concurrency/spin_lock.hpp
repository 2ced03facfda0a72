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

// try_lock() polls before blocking. The pause between polls doubles up to kMaxPause: each
// failed try_lock() takes the lock's cache line away from the holder, who then stalls on its
// unlock, so polling fast would slow the very critical section being waited for. All polls
// together last a few microseconds.
inline constexpr int kLockPolls = 12;
inline constexpr int kMaxPause = 64;

// `lk` must be associated with a mutex and not own it.
inline void lock_polling(std::unique_lock<std::mutex>& lk) {
  int pause = 1;
  for (int i = 0; i < kLockPolls; ++i) {
    if (lk.try_lock()) return;
    for (int j = 0; j < pause; ++j) cpu_relax();
    if (pause < kMaxPause) pause *= 2;
  }
  lk.lock();
}

}  // namespace chat::detail
