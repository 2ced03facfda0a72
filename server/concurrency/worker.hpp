#pragma once
// Internal: a worker of the pool: its place (slot), its timings, which pool owns the current
// thread, and how it waits for the pool's lock.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <stop_token>
#include <thread>

#include "common/latency_histogram.hpp"

namespace chat::detail {

// Which pool, if any, owns the current thread. Lets blocking calls refuse to wait on
// the pool that is running them. Thread-safety: thread-local.
const void* current_pool() noexcept;
void set_current_pool(const void* pool) noexcept;

inline bool on_worker_of(const void* pool) noexcept { return pool != nullptr && current_pool() == pool; }

// The busy-wait hint used while a worker spins before sleeping. On x86 `pause` lets
// the sibling hyper-thread run and avoids the memory-order mis-speculation penalty when the
// awaited cache line changes; elsewhere it is a compiler barrier only.
// Thread-safety: stateless.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}

// Acquires a std::mutex by polling try_lock() briefly before blocking. The pool's
// critical sections last a few hundred nanoseconds, far less than a futex sleep and wake-up
// (several microseconds on a VM), so a short poll nearly always wins the lock without a system
// call, and a holder that releases it then does not have to make one either (nobody sleeps on
// it). Waiters still block after the poll, so a descheduled holder costs little CPU.
// Thread-safety: as std::mutex.
//
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

// The queue-wait and run-time histograms of one worker slot. Each worker records its
// own samples outside the pool mutex and without any lock (it is the histograms' only writer),
// so the pool's critical section neither computes them nor pulls the histogram cache lines from
// the other workers; stats() merges all slots.
// Thread-safety: record_*() by the slot's worker only; merge_into() from any thread.
//
// Cache-line aligned: the slots of different workers sit side by side in the pool.
struct alignas(64) WorkerStats {
  void record_wait(std::chrono::nanoseconds d) noexcept { wait.record(d); }
  void record_run(std::chrono::nanoseconds d) noexcept { run.record(d); }
  void merge_into(LatencyHistogram& wait_total, LatencyHistogram& run_total) const noexcept {
    wait_total.merge(wait);
    run_total.merge(run);
  }

  LatencyHistogram wait;
  LatencyHistogram run;
};

struct TaskNode;

// One of the pool's max_threads worker places. Slots live as long as the pool, so a
// late notify after the lock is released never touches freed memory. Every field but `thread`,
// `stop` and `stats` is guarded by the pool mutex; `thread` is guarded by the pool's thread
// mutex; `stats` by its own mutex. `stop` is written only by the slot's worker, under the pool
// mutex, and read by others only under it, so the worker may read it without the lock.
struct WorkerSlot {
  enum class State { Free, Live, Exited };

  explicit WorkerSlot(std::size_t i) : index(i) {}

  const std::size_t index;
  State state = State::Free;
  std::thread thread;
  std::condition_variable cv;
  bool woken = false;  // taken off the idle stack and told to look for work
  // Reused for every task the worker runs; replaced only after a stop was requested on it, so a
  // stop request can never reach a later task.
  std::stop_source stop{std::nostopstate};
  bool stop_spent = false;
  TaskNode* current = nullptr;
  WorkerStats stats;
};

}  // namespace chat::detail
