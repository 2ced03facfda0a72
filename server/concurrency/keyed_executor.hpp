#pragma once
// KeyedExecutor: jobs submitted under the same key run one at a time, in submission order;
// different keys run in parallel on the pool. Each active key has exactly one pool task at a
// time, which runs the key's oldest job and then re-posts itself for the next one at the
// highest priority still pending in that key: priority orders keys, never jobs within a key.
// A job of higher priority arriving while the key's task waits in the queue raises that task,
// so an Urgent job never waits at a busy key's older, lower level. An idle key holds no memory.
//
// If re-posting is refused because the pool queue is full or draining, the current pool task
// keeps serving the key itself rather than strand it; if the pool is stopping (stop requested
// on the running task) or cancels the key's queued task, the key's remaining jobs are dropped
// and reported through on_dropped.
//
// Thread-safety: all members may be called from any thread. Jobs must not throw (an exception
// is logged and swallowed). The pool must outlive the executor's jobs; the executor keeps
// itself alive while any key is active. Tasks it posts must not be cancelled by id.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/concurrency/task.hpp"

namespace chat {

class ThreadPool;

class KeyedExecutor : public std::enable_shared_from_this<KeyedExecutor> {
 public:
  struct Job {
    std::function<void(std::stop_token)> run;
    Priority priority = Priority::Normal;
    std::string concurrency_class;
  };
  using DroppedCallback = std::function<void(std::size_t)>;

  // on_dropped(n) is called when n accepted jobs are discarded without running.
  static std::shared_ptr<KeyedExecutor> create(ThreadPool& pool, DroppedCallback on_dropped,
                                               std::size_t shards = 16);

  // Appends the jobs, in order, to the key's queue: all of them or, if refused, none.
  // Refused when a job names a concurrency class the pool does not know, or when the key was
  // idle and the pool refused to start it.
  std::optional<RejectReason> submit(const std::string& key, std::vector<Job>&& jobs);
  std::size_t active_keys() const noexcept { return active_keys_.load(std::memory_order_relaxed); }

 private:
  struct Shard;
  struct KeyQueue {
    KeyedExecutor* owner = nullptr;
    Shard* shard = nullptr;
    const std::string* key = nullptr;
    std::deque<Job> jobs;
    std::array<std::uint32_t, kPriorityLevels> pending{};  // jobs per priority
    TaskId task;                                            // the key's pool task
    Priority task_priority = Priority::Low;                 // what it was posted or raised to
    bool task_queued = false;                               // posted and not yet started
    std::shared_ptr<KeyedExecutor> self;                    // keeps the executor alive while active
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, KeyQueue> keys;
  };

  KeyedExecutor(ThreadPool& pool, DroppedCallback on_dropped, std::size_t shards);
  Shard& shard_for(const std::string& key) noexcept;
  // With the shard lock held: posts the key's pool task for its next job.
  std::optional<RejectReason> start(KeyQueue& q);
  // With the shard lock held: raises the key's queued pool task to `p` if that is higher.
  void raise(KeyQueue& q, Priority p);
  // Runs on the pool: the key's next job, then hands the key on.
  static void run(KeyQueue& q, std::stop_token token);
  // The key's pool task was cancelled before it ran.
  static void drop(KeyQueue& q) noexcept;
  // With the shard lock held: detaches the key; the caller releases the returned reference last.
  std::shared_ptr<KeyedExecutor> retire(KeyQueue& q) noexcept;

  ThreadPool& pool_;
  DroppedCallback on_dropped_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> active_keys_{0};
};

}  // namespace chat
