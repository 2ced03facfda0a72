#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "server/concurrency/finished_tasks.hpp"
#include "common/latency_histogram.hpp"
#include "server/concurrency/pool_clock.hpp"
#include "server/concurrency/task.hpp"
#include "server/concurrency/task_handle.hpp"
#include "server/concurrency/task_queue.hpp"
#include "server/concurrency/worker.hpp"

namespace chat {

// Construction settings of a ThreadPool (ThreadPool::Options). Thread-safety: plain value.
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

// A snapshot of a pool's counters, taken under the pool lock so the numbers agree with each
// other: submitted == completed + failed + cancelled + timed_out + running + queued_total().
// Thread-safety: a plain value, owned by the caller.
struct PoolStats {
  std::uint64_t submitted = 0;  // accepted tasks
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;
  std::uint64_t timed_out = 0;  // start deadline passed in the queue, or run timeout overrun
  std::uint64_t rejected = 0;   // refusals of every reason
  std::uint64_t overdue = 0;    // run timeouts that fired (stop requested)
  std::array<std::size_t, kPriorityLevels> queued{};  // indexed by index_of(Priority)
  std::size_t running = 0;
  std::size_t live_threads = 0;
  std::size_t idle_threads = 0;
  std::size_t peak_threads = 0;
  LatencySummary queue_wait;  // submit -> start, for tasks that started
  LatencySummary run_time;    // start -> end, for tasks that ran

  std::size_t queued_total() const noexcept {
    return std::accumulate(queued.begin(), queued.end(), std::size_t{0});
  }
};

// One task of a post_all() group.
struct PostRequest {
  std::function<void(std::stop_token)> work;
  TaskOptions options;
};

// ThreadPool: a priority worker pool with aging, a bounded queue with an Urgent reserve,
// dynamic size, deadlines, cancellation and concurrency classes. See docs/architecture.md,
// "Priority worker pool", for the rules.
//
// Thread-safety: every member function may be called from any thread, concurrently, including
// from the pool's own tasks. Calls that would block on the pool from one of its own workers
// (submit waiting for room, TaskHandle::get, shutdown joining) refuse instead of deadlocking.
// Callbacks and task code never run under the pool's lock.
class ThreadPool {
 public:
  using Options = ThreadPoolOptions;
  using Work = std::function<void(std::stop_token)>;
  using duration = std::chrono::steady_clock::duration;

  // Throws std::invalid_argument for inconsistent options (max_threads 0, min > max, limit 0).
  explicit ThreadPool(Options options);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  // shutdown_now(): queued tasks are cancelled (callbacks fire), running ones are asked to stop
  // and joined. Never waits for queued work.
  ~ThreadPool();

  // Hot path: fire-and-forget, no future. Never waits; refuses with QueueFull / ShutDown /
  // UnknownClass. Allocation-free once warmed up, apart from what std::function needs.
  SubmitResult post(Work work, TaskOptions options = {});
  // Same, for any callable taking a std::stop_token or nothing.
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, Work>)
  SubmitResult post(F&& f, TaskOptions options = {}) {
    return post(to_work(std::forward<F>(f)), std::move(options));
  }
  // Posts every request or none (one lock, one capacity check). Returns the first task's id.
  SubmitResult post_all(std::span<PostRequest> requests);

  // With a handle (future + status). Never waits for room.
  template <class F>
  Submission<detail::task_result_t<F>> try_submit(F&& f, TaskOptions options = {}) {
    return submit_with_handle(std::forward<F>(f), std::move(options), std::nullopt);
  }
  // Waits up to `wait_for_room` for queue room (refusing with Timeout). From a worker of this
  // pool it does not wait: a full queue is refused with WouldDeadlock.
  template <class F>
  Submission<detail::task_result_t<F>> submit(F&& f, TaskOptions options, duration wait_for_room) {
    return submit_with_handle(std::forward<F>(f), std::move(options), wait_for_room);
  }

  // Queued task: unlinked at once, ends Cancelled, on_error fires here with TaskCancelled.
  // Running task: stop is requested and it ends Cancelled when it returns (whatever it returns).
  // False when the task is unknown, finished, or already being stopped (cancelled, or past its
  // run timeout: the first reason decides its final status).
  bool cancel(TaskId id);
  // A queued task moves up to priority `p` (to the tail of that level: FIFO among the tasks
  // already there) when `p` is higher than its own. True if the task is queued at `p` or higher
  // afterwards; false when it is unknown, already running, or finished.
  bool raise_priority(TaskId id, Priority p);
  // True when `name` is empty (no class) or one of Options::class_limits.
  bool knows_class(const std::string& name) const { return class_index(name).has_value(); }
  // Status of a live task, or of one of the last Options::finished_history finished tasks.
  std::optional<TaskStatus> status(TaskId id) const;
  PoolStats stats() const;

  // Stops intake, runs everything already queued (every priority), joins all threads.
  // From a worker of this pool it stops intake and returns false without joining.
  bool shutdown();
  // Stops intake, cancels every queued task (their on_error fire on this thread), requests stop
  // for running tasks (they keep whatever outcome they produce), joins. Returns how many queued
  // tasks were cancelled. From a worker of this pool it does not join.
  std::size_t shutdown_now();

  // True inside one of this pool's threads: its workers and its deadline watcher (which runs the
  // callbacks of tasks whose start deadline passed).
  bool on_worker_thread() const noexcept { return detail::on_worker_of(this); }
  const Options& options() const noexcept { return options_; }

 private:
  enum class State { Accepting, Draining, Stopped };
  struct Growth {
    detail::WorkerSlot* wake = nullptr;
    detail::WorkerSlot* spawn = nullptr;
  };

  template <class F>
  static Work to_work(F&& f) {
    if constexpr (detail::takes_stop_token<std::decay_t<F>>) {
      return Work(std::forward<F>(f));
    } else {
      return [fn = std::forward<F>(f)](std::stop_token) mutable { fn(); };
    }
  }

  template <class F>
  Submission<detail::task_result_t<F>> submit_with_handle(F&& f, TaskOptions options,
                                                         std::optional<duration> wait_for_room) {
    using R = detail::task_result_t<F>;
    auto state = std::make_shared<detail::SubmitState<R, std::decay_t<F>>>(std::forward<F>(f));
    auto future = state->promise.get_future();
    // The state is the status cell the handle reads; the callbacks complete its promise before
    // the user's callbacks run.
    options.on_success = [state, user = std::move(options.on_success)] {
      state->succeed();
      if (user) user();
    };
    options.on_error = [state, user = std::move(options.on_error)](std::exception_ptr e) {
      state->fail(e);
      if (user) user(std::move(e));
    };
    Work work = [state](std::stop_token token) { state->run(std::move(token)); };
    const SubmitResult r = enqueue(std::move(work), std::move(options), state, wait_for_room);
    if (!r) return Submission<R>::refused(r.reason());
    return Submission<R>::accepted(TaskHandle<R>(r.id(), std::move(future), std::move(state), this));
  }

  // Resolves a class name to its queue index (0 = none); nullopt when unknown.
  std::optional<std::uint16_t> class_index(const std::string& name) const;
  SubmitResult enqueue(Work&& work, TaskOptions&& options, std::shared_ptr<TaskStatusCell> observer,
                       std::optional<duration> wait_for_room);
  // --- everything below runs with mutex_ held unless it says otherwise
  std::size_t limit_for(Priority p) const noexcept;
  SubmitResult refuse(RejectReason r);
  detail::TaskNode* link_new_task(Work&& work, TaskOptions&& options, std::uint16_t cls,
                                  std::shared_ptr<TaskStatusCell> observer, PoolClock::time_point now);
  Growth plan_growth();
  detail::WorkerSlot* reserve_slot();
  void wake_all_idle(std::vector<detail::WorkerSlot*>& woken);
  detail::TaskNode* next_task(PoolClock::time_point now, std::vector<detail::SettledTask>& expired);
  // Counts a final status and records it for status(id); the node stays allocated.
  void count_final(detail::TaskNode* node, TaskStatus status) noexcept;
  detail::SettledTask settle(detail::TaskNode* node, TaskStatus status, std::exception_ptr error);
  void note_intake() noexcept;
  // Called by a worker that found nothing to run. Unlocks, busy-waits up to Options::idle_spin
  // for a submission, refreshes `now`, relocks. True if something was submitted meanwhile; false
  // if it did not spin (another worker is spinning, spinning is off, the pool is stopping) or the
  // spin ran out.
  bool spin_for_work(std::unique_lock<std::mutex>& lk, PoolClock::time_point& now);
  void note_dequeued();
  void schedule(const detail::Deadline& d, bool& start_watcher);
  void request_stop(detail::TaskNode* running, std::vector<std::stop_source>& stops);
  bool idle_wait(std::unique_lock<std::mutex>& lk, detail::WorkerSlot& w);
  // --- these take the locks they need
  void apply(const Growth& g);
  void spawn_thread(detail::WorkerSlot* slot);
  void start_watcher();
  void worker_main(detail::WorkerSlot& w);
  void watcher_main();
  void join_all();
  void fire_all(std::vector<detail::SettledTask>& settled) noexcept;

  const Options options_;
  const std::shared_ptr<PoolClock> clock_;
  std::vector<std::string> class_names_;  // index 0 = no class

  mutable std::mutex mutex_;
  State state_ = State::Accepting;
  detail::TaskQueue queue_;
  detail::TaskNodePool nodes_;
  detail::FinishedTasks finished_;
  detail::DeadlineQueue deadlines_;
  std::vector<std::unique_ptr<detail::WorkerSlot>> slots_;
  std::vector<detail::WorkerSlot*> idle_;  // LIFO: the longest idle threads time out first
  std::uint64_t next_seq_ = 1;
  std::size_t live_ = 0, starting_ = 0, waking_ = 0, running_ = 0, peak_ = 0;
  std::size_t spinning_ = 0;  // workers in spin_for_work: they will look at the queue again
  // Bumped (under mutex_) by every submission and state change; spinning workers poll it without
  // the lock. On its own cache line, so the polling does not steal the line of the counters
  // that the lock holder is writing.
  alignas(64) std::atomic<std::uint64_t> intake_seq_{0};
  char intake_seq_pad_[64 - sizeof(std::atomic<std::uint64_t>)] = {};
  std::size_t room_waiters_ = 0;
  bool watcher_started_ = false, watcher_stop_ = false;
  std::uint64_t submitted_ = 0, completed_ = 0, failed_ = 0, cancelled_ = 0, timed_out_ = 0,
                rejected_ = 0, overdue_ = 0;
  std::condition_variable room_cv_;     // submit() waiting for queue room
  std::condition_variable exit_cv_;     // live_ reached 0
  std::condition_variable watcher_cv_;  // an earlier deadline, or stop

  std::mutex threads_mutex_;     // guards WorkerSlot::thread and watcher_
  std::thread watcher_;
  std::mutex lifecycle_mutex_;   // one shutdown at a time
};

}  // namespace chat
