#pragma once
// Construction settings of a ThreadPool (ThreadPool::Options). Thread-safety: plain value.

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "server/concurrency/age_budgets.hpp"
#include "server/concurrency/pool_clock.hpp"

namespace chat {

struct ThreadPoolOptions {
  // Core threads, started at construction and kept for the pool's life.
  std::size_t min_threads = 1;
  // Hard ceiling on worker threads (and therefore on tasks running at once). Must be >= 1.
  std::size_t max_threads = std::max<std::size_t>(2, std::thread::hardware_concurrency());
  // A thread beyond min_threads that found no work for this long exits.
  std::chrono::steady_clock::duration keep_alive = std::chrono::seconds(30);
  // A worker that runs out of work busy-waits this long for a new submission before it sleeps
  // (at most one worker at a time). Saves the futex wake-up of a sleeping worker when tasks
  // arrive back to back; zero never spins.
  std::chrono::steady_clock::duration idle_spin = std::chrono::microseconds(20);
  // Tasks that may wait in the queue (all priorities but Urgent).
  std::size_t queue_capacity = 65536;
  // Extra queue room only Urgent tasks may use, so a flood of other work cannot refuse them.
  std::size_t urgent_reserve = 1024;
  AgeBudgets age_budgets{};
  // Concurrency classes: at most `limit` tasks of the named class run at once. Limits must be >= 1.
  std::map<std::string, std::size_t> class_limits;
  // Workers are named "<prefix>-<n>" (Linux keeps 15 characters).
  std::string thread_name_prefix = "pool";
  // Time source for aging, deadlines and timings; null means std::chrono::steady_clock.
  std::shared_ptr<PoolClock> clock;
  // How many finished tasks status(id) still remembers (rounded up to a power of two).
  std::size_t finished_history = 16384;
  // Longest sleep of the deadline watcher when `clock` is not the steady clock (a manual clock
  // cannot wake it, so it re-reads the time at least this often).
  std::chrono::steady_clock::duration deadline_poll = std::chrono::milliseconds(5);
};

}  // namespace chat
