#pragma once
// Internal: one of the pool's max_threads worker places. Slots live as long as the pool, so a
// late notify after the lock is released never touches freed memory. Every field but `thread`,
// `stop` and `stats` is guarded by the pool mutex; `thread` is guarded by the pool's thread
// mutex; `stats` by its own mutex. `stop` is written only by the slot's worker, under the pool
// mutex, and read by others only under it, so the worker may read it without the lock.

#include <condition_variable>
#include <cstddef>
#include <stop_token>
#include <thread>

#include "server/concurrency/worker_stats.hpp"

namespace chat::detail {

struct TaskNode;

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
