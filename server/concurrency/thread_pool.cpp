#include "server/concurrency/thread_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

#include "server/concurrency/thread_name.hpp"
#include "server/concurrency/worker.hpp"

namespace chat {

using detail::Deadline;
using detail::SettledTask;
using detail::TaskNode;
using detail::WorkerSlot;

namespace {

// Caps single waits and relative deadlines so time_point arithmetic cannot overflow
// (keep_alive or a deadline may legitimately be "forever").
constexpr std::chrono::steady_clock::duration kLongestWait = std::chrono::hours(24);
constexpr std::chrono::steady_clock::duration kFarFuture = std::chrono::hours(24 * 365 * 10);

ThreadPoolOptions validated(ThreadPoolOptions o) {
  if (o.max_threads == 0) throw std::invalid_argument("ThreadPool: max_threads must be at least 1");
  if (o.min_threads > o.max_threads) throw std::invalid_argument("ThreadPool: min_threads exceeds max_threads");
  if (o.class_limits.size() >= 0xFFFF) throw std::invalid_argument("ThreadPool: too many concurrency classes");
  for (const auto& [name, limit] : o.class_limits) {
    if (name.empty()) throw std::invalid_argument("ThreadPool: a concurrency class needs a name");
    if (limit == 0) throw std::invalid_argument("ThreadPool: class '" + name + "' has limit 0");
  }
  if (o.deadline_poll <= std::chrono::steady_clock::duration::zero()) o.deadline_poll = std::chrono::milliseconds(1);
  return o;
}

std::vector<std::size_t> limits_of(const ThreadPoolOptions& o) {
  std::vector<std::size_t> limits{0};
  for (const auto& [name, limit] : o.class_limits) limits.push_back(limit);
  return limits;
}

ThreadPool::duration clamp_relative(ThreadPool::duration d) {
  return std::clamp(d, ThreadPool::duration::zero(), kFarFuture);
}

}  // namespace

ThreadPool::ThreadPool(Options options)
    : options_(validated(std::move(options))),
      clock_(options_.clock ? options_.clock : make_steady_pool_clock()),
      queue_(limits_of(options_), options_.age_budgets),
      finished_(options_.finished_history) {
  class_names_.emplace_back();
  for (const auto& [name, limit] : options_.class_limits) class_names_.push_back(name);
  slots_.reserve(options_.max_threads);
  for (std::size_t i = 0; i < options_.max_threads; ++i) slots_.push_back(std::make_unique<WorkerSlot>(i));
  std::vector<WorkerSlot*> core;
  {
    std::lock_guard lk(mutex_);
    for (std::size_t i = 0; i < options_.min_threads; ++i) core.push_back(reserve_slot());
  }
  for (WorkerSlot* slot : core) spawn_thread(slot);
}

ThreadPool::~ThreadPool() {
  if (on_worker_thread()) {
    // The calling thread is one of the threads the destructor must join: there is no correct
    // way to continue.
    spdlog::critical("pool '{}': destroyed from one of its own tasks; aborting", options_.thread_name_prefix);
    std::abort();
  }
  shutdown_now();
}

// ---------------------------------------------------------------- submission

std::optional<std::uint16_t> ThreadPool::class_index(const std::string& name) const {
  if (name.empty()) return std::uint16_t{0};
  for (std::size_t i = 1; i < class_names_.size(); ++i) {
    if (class_names_[i] == name) return static_cast<std::uint16_t>(i);
  }
  return std::nullopt;
}

std::size_t ThreadPool::limit_for(Priority p) const noexcept {
  return p == Priority::Urgent ? options_.queue_capacity + options_.urgent_reserve : options_.queue_capacity;
}

SubmitResult ThreadPool::refuse(RejectReason r) {
  ++rejected_;
  return SubmitResult::refused(r);
}

SubmitResult ThreadPool::post(Work work, TaskOptions options) {
  return enqueue(std::move(work), std::move(options), nullptr, std::nullopt);
}

SubmitResult ThreadPool::enqueue(Work&& work, TaskOptions&& options, std::shared_ptr<TaskStatusCell> observer,
                                 std::optional<duration> wait_for_room) {
  const auto cls = class_index(options.concurrency_class);
  auto now = clock_->now();
  bool watcher = false;
  Growth growth;
  TaskId id;
  {
    std::unique_lock lk(mutex_, std::defer_lock);
    detail::lock_polling(lk);
    if (!cls) return refuse(RejectReason::UnknownClass);
    if (state_ != State::Accepting) return refuse(RejectReason::ShutDown);
    const std::size_t limit = limit_for(options.priority);
    if (queue_.size() >= limit) {
      if (!wait_for_room) return refuse(RejectReason::QueueFull);
      if (on_worker_thread()) return refuse(RejectReason::WouldDeadlock);
      ++room_waiters_;
      const bool room = room_cv_.wait_for(lk, std::min(*wait_for_room, kLongestWait), [&] {
        return state_ != State::Accepting || queue_.size() < limit;
      });
      --room_waiters_;
      if (state_ != State::Accepting) return refuse(RejectReason::ShutDown);
      if (!room) return refuse(RejectReason::Timeout);
      now = clock_->now();
    }
    TaskNode* node = link_new_task(std::move(work), std::move(options), *cls, std::move(observer), now);
    if (node->has_start_deadline) schedule(Deadline{node->start_deadline, node->id, Deadline::Kind::Start}, watcher);
    id = node->id;
    growth = plan_growth();
  }
  apply(growth);
  if (watcher) start_watcher();
  return SubmitResult::accepted(id);
}

SubmitResult ThreadPool::post_all(std::span<PostRequest> requests) {
  if (requests.empty()) return SubmitResult::accepted(TaskId{});
  std::vector<std::uint16_t> classes;
  classes.reserve(requests.size());
  std::size_t urgent = 0;
  for (const PostRequest& r : requests) {
    const auto cls = class_index(r.options.concurrency_class);
    if (!cls) {
      std::lock_guard lk(mutex_);
      return refuse(RejectReason::UnknownClass);
    }
    classes.push_back(*cls);
    if (r.options.priority == Priority::Urgent) ++urgent;
  }
  const auto now = clock_->now();
  bool watcher = false;
  std::vector<Growth> growth;
  TaskId first;
  {
    std::lock_guard lk(mutex_);
    if (state_ != State::Accepting) return refuse(RejectReason::ShutDown);
    const std::size_t others = requests.size() - urgent;
    if (queue_.size() + others > options_.queue_capacity ||
        queue_.size() + requests.size() > options_.queue_capacity + options_.urgent_reserve) {
      return refuse(RejectReason::QueueFull);
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      TaskNode* node = link_new_task(std::move(requests[i].work), std::move(requests[i].options), classes[i],
                                     nullptr, now);
      if (node->has_start_deadline) schedule(Deadline{node->start_deadline, node->id, Deadline::Kind::Start}, watcher);
      if (i == 0) first = node->id;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) {
      const Growth g = plan_growth();
      if (g.wake == nullptr && g.spawn == nullptr) break;
      growth.push_back(g);
    }
  }
  for (const Growth& g : growth) apply(g);
  if (watcher) start_watcher();
  return SubmitResult::accepted(first);
}

TaskNode* ThreadPool::link_new_task(Work&& work, TaskOptions&& options, std::uint16_t cls,
                                    std::shared_ptr<TaskStatusCell> observer, PoolClock::time_point now) {
  TaskNode* node = nodes_.acquire();
  node->id.seq = next_seq_++;
  node->state = TaskNode::State::Queued;
  node->priority = options.priority;
  node->class_index = cls;
  node->enqueued = now;
  node->work = std::move(work);
  node->on_success = std::move(options.on_success);
  node->on_error = std::move(options.on_error);
  node->observer = std::move(observer);
  if (options.start_deadline) {
    node->has_start_deadline = true;
    node->start_deadline = now + clamp_relative(*options.start_deadline);
  }
  if (options.run_timeout) {
    node->has_run_timeout = true;
    node->run_timeout = clamp_relative(*options.run_timeout);
  }
  queue_.push_back(node);
  ++submitted_;
  note_intake();
  return node;
}

// ---------------------------------------------------------------- growth

// Every decision to wake or start a worker is taken here, under the lock, and accounted for
// (waking_, starting_, live_) before the lock is released: concurrent submitters can never both
// claim the same idle worker or both start "the last" thread past max_threads.
ThreadPool::Growth ThreadPool::plan_growth() {
  Growth g;
  if (queue_.empty()) return g;
  if (idle_.empty() && live_ >= options_.max_threads) return g;
  // A spinning worker re-reads the queue before it may sleep, so it counts as already awake.
  if (queue_.runnable() <= waking_ + starting_ + spinning_) return g;
  if (!idle_.empty()) {
    g.wake = idle_.back();
    idle_.pop_back();
    g.wake->woken = true;
    ++waking_;
  } else if (state_ != State::Stopped) {
    g.spawn = reserve_slot();
  }
  return g;
}

WorkerSlot* ThreadPool::reserve_slot() {
  for (auto& slot : slots_) {
    if (slot->state == WorkerSlot::State::Live) continue;
    slot->state = WorkerSlot::State::Live;
    ++live_;
    ++starting_;
    peak_ = std::max(peak_, live_);
    return slot.get();
  }
  return nullptr;
}

void ThreadPool::wake_all_idle(std::vector<WorkerSlot*>& woken) {
  for (WorkerSlot* w : idle_) {
    w->woken = true;
    ++waking_;
    woken.push_back(w);
  }
  idle_.clear();
}

void ThreadPool::apply(const Growth& g) {
  // Slots outlive the pool's threads, so notifying after the unlock is safe.
  if (g.wake != nullptr) g.wake->cv.notify_one();
  if (g.spawn != nullptr) spawn_thread(g.spawn);
}

void ThreadPool::spawn_thread(WorkerSlot* slot) {
  std::lock_guard threads(threads_mutex_);
  // A slot may be reused once its previous thread has left the worker loop.
  if (slot->thread.joinable()) slot->thread.join();
  try {
    slot->thread = std::thread([this, slot] { worker_main(*slot); });
  } catch (const std::system_error& e) {
    spdlog::error("pool '{}': cannot start worker {}: {}", options_.thread_name_prefix, slot->index, e.what());
    std::lock_guard lk(mutex_);
    slot->state = WorkerSlot::State::Free;
    --live_;
    --starting_;
    if (live_ == 0) exit_cv_.notify_all();
  }
}

// ---------------------------------------------------------------- workers

TaskNode* ThreadPool::next_task(PoolClock::time_point now, std::vector<SettledTask>& expired) {
  while (TaskNode* node = queue_.take(now)) {
    note_dequeued();
    if (node->has_start_deadline && now >= node->start_deadline) {
      queue_.class_finished(node->class_index);
      expired.push_back(settle(node, TaskStatus::TimedOut, nullptr));
      continue;
    }
    node->started = now;
    return node;
  }
  return nullptr;
}

void ThreadPool::note_dequeued() {
  if (room_waiters_ != 0) room_cv_.notify_all();
}

void ThreadPool::note_intake() noexcept {
  // Only a hint for spinning workers (they re-check under the lock), so relaxed is enough; the
  // load + store pair is not a lost-update risk because every writer holds mutex_.
  intake_seq_.store(intake_seq_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

void ThreadPool::count_final(TaskNode* node, TaskStatus status) noexcept {
  switch (status) {
    case TaskStatus::Completed: ++completed_; break;
    case TaskStatus::Failed: ++failed_; break;
    case TaskStatus::Cancelled: ++cancelled_; break;
    case TaskStatus::TimedOut: ++timed_out_; break;
    case TaskStatus::Queued:
    case TaskStatus::Running: break;
  }
  finished_.record(node->id, status);
  if (node->observer) node->observer->status.store(status, std::memory_order_release);
}

SettledTask ThreadPool::settle(TaskNode* node, TaskStatus status, std::exception_ptr error) {
  count_final(node, status);
  SettledTask settled{node->id,
                      status,
                      std::move(error),
                      std::move(node->work),
                      std::move(node->on_success),
                      std::move(node->on_error),
                      std::move(node->observer)};
  nodes_.release(node);
  return settled;
}

void ThreadPool::schedule(const Deadline& d, bool& start_watcher_now) {
  if (deadlines_.push(d)) watcher_cv_.notify_one();
  if (!watcher_started_) {
    watcher_started_ = true;
    start_watcher_now = true;
  }
}

void ThreadPool::request_stop(TaskNode* running, std::vector<std::stop_source>& stops) {
  WorkerSlot* w = running->worker;
  stops.push_back(w->stop);
  w->stop_spent = true;
}

bool ThreadPool::idle_wait(std::unique_lock<std::mutex>& lk, WorkerSlot& w) {
  idle_.push_back(&w);
  const auto deadline = std::chrono::steady_clock::now() + std::min(options_.keep_alive, kLongestWait);
  while (!w.woken) {
    if (live_ <= options_.min_threads) {
      // A core thread has no keep-alive to run out; a timed wait here would spin when
      // keep_alive is zero.
      w.cv.wait(lk);
      continue;
    }
    if (w.cv.wait_until(lk, deadline) == std::cv_status::timeout && !w.woken && live_ > options_.min_threads) {
      idle_.erase(std::find(idle_.begin(), idle_.end(), &w));
      return false;
    }
  }
  w.woken = false;
  --waking_;
  return true;
}

bool ThreadPool::spin_for_work(std::unique_lock<std::mutex>& lk, PoolClock::time_point& now) {
  // One spinner is enough to absorb the next post without a futex wake; a second one would only
  // take CPU from the submitters (the pool is sized for a few cores).
  if (options_.idle_spin <= duration::zero() || spinning_ != 0 || state_ != State::Accepting) return false;
  ++spinning_;
  const std::uint64_t seen = intake_seq_.load(std::memory_order_relaxed);
  lk.unlock();
  bool arrived = false;
  const auto until = std::chrono::steady_clock::now() + std::min(options_.idle_spin, kLongestWait);
  for (unsigned i = 1;; ++i) {
    if (intake_seq_.load(std::memory_order_relaxed) != seen) {
      arrived = true;
      break;
    }
    detail::cpu_relax();
    // The steady clock, not the pool clock: this bounds CPU burnt, and a manual clock never moves.
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
  }
  now = clock_->now();
  // The submitter that bumped the sequence still holds the lock for a few instructions: blocking
  // on it now would cost the futex round trip the spin was meant to save.
  detail::lock_polling(lk);
  --spinning_;
  return arrived;
}

void ThreadPool::worker_main(WorkerSlot& w) {
  set_current_thread_name(options_.thread_name_prefix + "-" + std::to_string(w.index));
  detail::set_current_pool(this);
  std::vector<SettledTask> expired;
  // The pool clock is read once per task, outside the lock: that reading ends the previous task
  // and dates the pick of the next one (aging, start deadline, queue wait).
  auto now = clock_->now();
  std::unique_lock lk(mutex_);
  --starting_;
  w.stop = std::stop_source();
  w.stop_spent = false;
  bool may_spin = true;
  for (;;) {
    TaskNode* node = next_task(now, expired);
    if (node == nullptr) {
      if (!expired.empty()) {
        lk.unlock();
        fire_all(expired);
        now = clock_->now();
        lk.lock();
        continue;
      }
      if (state_ != State::Accepting && queue_.empty()) break;
      // Spin first; once a spin ran out with nothing new, sleep. A spin that saw new work but lost
      // it to another worker may spin again: work is flowing.
      if (may_spin) {
        may_spin = spin_for_work(lk, now);
        continue;
      }
      if (!idle_wait(lk, w)) break;
      now = clock_->now();
      may_spin = true;
      continue;
    }
    may_spin = true;
    node->state = TaskNode::State::Running;
    node->worker = &w;
    w.current = node;
    ++running_;
    const auto waited = node->started - node->enqueued;
    const auto started = node->started;
    if (node->observer) node->observer->status.store(TaskStatus::Running, std::memory_order_release);
    bool watcher = false;
    if (node->has_run_timeout) {
      // A fresh reading: `now` may predate the wait for the lock, and the timeout must not start
      // early.
      schedule(Deadline{clock_->now() + node->run_timeout, node->id, Deadline::Kind::Run}, watcher);
    }
    if (w.stop_spent) {
      w.stop = std::stop_source();
      w.stop_spent = false;
    }
    Work work = std::move(node->work);
    const bool has_callbacks = node->on_success || node->on_error;
    const Growth growth = plan_growth();
    lk.unlock();

    w.stats.record_wait(waited);
    std::stop_token token = w.stop.get_token();

    apply(growth);
    if (watcher) start_watcher();
    if (!expired.empty()) fire_all(expired);
    std::exception_ptr error;
    try {
      work(std::move(token));
    } catch (...) {
      error = std::current_exception();
    }
    // Without callbacks nothing borrows from the work: destroy its captures outside the lock.
    if (!has_callbacks) work = nullptr;
    now = clock_->now();
    // Before the outcome is counted, so a snapshot never has more completions than run samples.
    w.stats.record_run(now - started);

    detail::lock_polling(lk);
    --running_;
    w.current = nullptr;
    queue_.class_finished(node->class_index);
    const TaskStatus status = node->cancel_requested ? TaskStatus::Cancelled
                              : node->overdue        ? TaskStatus::TimedOut
                              : error                ? TaskStatus::Failed
                                                     : TaskStatus::Completed;
    if (!has_callbacks && !node->observer && status == TaskStatus::Completed) {
      // Nothing to fire and nothing left to destroy: record the outcome and recycle the node.
      count_final(node, status);
      nodes_.release(node);
      continue;
    }
    SettledTask done = settle(node, status, std::move(error));
    if (has_callbacks || done.has_effect()) {
      lk.unlock();
      done.work = std::move(work);
      done.fire(options_.thread_name_prefix);
      now = clock_->now();
      lk.lock();
    }
  }
  std::vector<WorkerSlot*> woken;
  w.state = WorkerSlot::State::Exited;
  --live_;
  // Draining is over for this worker; idle ones must see it too.
  if (state_ != State::Accepting && queue_.empty()) wake_all_idle(woken);
  if (live_ == 0) exit_cv_.notify_all();
  lk.unlock();
  for (WorkerSlot* other : woken) other->cv.notify_one();
  detail::set_current_pool(nullptr);
}

void ThreadPool::fire_all(std::vector<SettledTask>& settled) noexcept {
  for (SettledTask& s : settled) s.fire(options_.thread_name_prefix);
  settled.clear();
}

// ---------------------------------------------------------------- deadlines

void ThreadPool::start_watcher() {
  std::lock_guard threads(threads_mutex_);
  if (watcher_.joinable()) return;
  try {
    watcher_ = std::thread([this] { watcher_main(); });
  } catch (const std::system_error& e) {
    // Start deadlines are still enforced when a worker picks the task; run timeouts are not.
    spdlog::error("pool '{}': cannot start the deadline watcher: {}", options_.thread_name_prefix, e.what());
  }
}

void ThreadPool::watcher_main() {
  set_current_thread_name(options_.thread_name_prefix + "-deadline");
  // Expired tasks' callbacks run here: they must meet the same refusals as on a worker (no
  // blocking get(), no joining shutdown from the thread that would be joined).
  detail::set_current_pool(this);
  std::vector<SettledTask> expired;
  std::vector<std::stop_source> stops;
  std::unique_lock lk(mutex_);
  while (!watcher_stop_) {
    if (deadlines_.empty()) {
      watcher_cv_.wait(lk);
      continue;
    }
    const auto now = clock_->now();
    const Deadline d = deadlines_.top();
    if (d.when > now) {
      auto sleep = std::min(d.when - now, kLongestWait);
      if (!clock_->is_steady_clock()) sleep = std::min(sleep, options_.deadline_poll);
      watcher_cv_.wait_for(lk, sleep);
      continue;
    }
    deadlines_.pop();
    TaskNode* node = nodes_.find_live(d.task);
    if (node == nullptr) continue;  // already finished
    if (d.kind == Deadline::Kind::Start && node->state == TaskNode::State::Queued) {
      queue_.unlink(node);
      note_dequeued();
      expired.push_back(settle(node, TaskStatus::TimedOut, nullptr));
    } else if (d.kind == Deadline::Kind::Run && node->state == TaskNode::State::Running && !node->overdue &&
               !node->cancel_requested) {
      node->overdue = true;
      ++overdue_;
      request_stop(node, stops);
    }
    if (!expired.empty() || !stops.empty()) {
      lk.unlock();
      for (auto& s : stops) s.request_stop();
      stops.clear();
      fire_all(expired);
      lk.lock();
    }
  }
}

// ---------------------------------------------------------------- control and queries

bool ThreadPool::cancel(TaskId id) {
  std::vector<std::stop_source> stops;
  std::optional<SettledTask> settled;
  {
    std::lock_guard lk(mutex_);
    TaskNode* node = nodes_.find_live(id);
    if (node == nullptr) return false;
    if (node->state == TaskNode::State::Queued) {
      queue_.unlink(node);
      note_dequeued();
      settled = settle(node, TaskStatus::Cancelled, nullptr);
    } else {
      // Already being stopped, by an earlier cancel or by its run timeout: the first reason wins.
      if (node->cancel_requested || node->overdue) return false;
      node->cancel_requested = true;
      request_stop(node, stops);
    }
  }
  for (auto& s : stops) s.request_stop();
  if (settled) settled->fire(options_.thread_name_prefix);
  return true;
}

bool ThreadPool::raise_priority(TaskId id, Priority p) {
  std::lock_guard lk(mutex_);
  TaskNode* node = nodes_.find_live(id);
  if (node == nullptr || node->state != TaskNode::State::Queued) return false;
  if (node->priority >= p) return true;
  queue_.unlink(node);
  node->priority = p;
  queue_.push_back(node);
  return true;
}

std::optional<TaskStatus> ThreadPool::status(TaskId id) const {
  std::lock_guard lk(mutex_);
  if (const TaskNode* node = nodes_.find_live(id)) {
    return node->state == TaskNode::State::Queued ? TaskStatus::Queued : TaskStatus::Running;
  }
  return finished_.find(id);
}

PoolStats ThreadPool::stats() const {
  // The histograms are merged under the pool lock, so they agree with the counters: a task's run
  // sample is recorded before its outcome is counted (never fewer run samples than outcomes), and
  // its samples after it was dequeued, i.e. counted as submitted (never more samples than
  // submissions). Workers record outside the pool lock, so the lock order is always pool lock,
  // then slot lock. slots_ never changes after construction.
  std::lock_guard lk(mutex_);
  LatencyHistogram wait, run;
  for (const auto& slot : slots_) slot->stats.merge_into(wait, run);
  PoolStats s;
  s.submitted = submitted_;
  s.completed = completed_;
  s.failed = failed_;
  s.cancelled = cancelled_;
  s.timed_out = timed_out_;
  s.rejected = rejected_;
  s.overdue = overdue_;
  for (std::size_t p = 0; p < kPriorityLevels; ++p) s.queued[p] = queue_.size(static_cast<Priority>(p));
  s.running = running_;
  s.live_threads = live_;
  s.idle_threads = idle_.size();
  s.peak_threads = peak_;
  s.queue_wait = wait.summary();
  s.run_time = run.summary();
  return s;
}

bool ThreadPool::shutdown() {
  std::vector<WorkerSlot*> woken;
  WorkerSlot* spawn = nullptr;
  {
    std::lock_guard lk(mutex_);
    if (state_ == State::Accepting) state_ = State::Draining;
    note_intake();
    room_cv_.notify_all();
    wake_all_idle(woken);
    // Normally a queued task always has a live worker; this covers a failed thread start.
    if (live_ == 0 && !queue_.empty()) spawn = reserve_slot();
  }
  for (WorkerSlot* w : woken) w->cv.notify_one();
  if (spawn != nullptr) spawn_thread(spawn);
  if (on_worker_thread()) {
    spdlog::warn("pool '{}': shutdown() from its own worker: intake stopped, not joining",
                 options_.thread_name_prefix);
    return false;
  }
  std::lock_guard life(lifecycle_mutex_);
  join_all();
  return true;
}

std::size_t ThreadPool::shutdown_now() {
  std::vector<SettledTask> cancelled;
  std::vector<std::stop_source> stops;
  std::vector<WorkerSlot*> woken;
  {
    std::lock_guard lk(mutex_);
    state_ = State::Stopped;
    note_intake();
    room_cv_.notify_all();
    while (TaskNode* node = queue_.take_any()) cancelled.push_back(settle(node, TaskStatus::Cancelled, nullptr));
    for (auto& slot : slots_) {
      if (slot->current != nullptr) request_stop(slot->current, stops);
    }
    wake_all_idle(woken);
  }
  for (WorkerSlot* w : woken) w->cv.notify_one();
  for (auto& s : stops) s.request_stop();
  const std::size_t count = cancelled.size();
  fire_all(cancelled);
  if (!on_worker_thread()) {
    std::lock_guard life(lifecycle_mutex_);
    join_all();
  }
  return count;
}

void ThreadPool::join_all() {
  {
    std::unique_lock lk(mutex_);
    exit_cv_.wait(lk, [&] { return live_ == 0; });
    watcher_stop_ = true;
    watcher_cv_.notify_all();
  }
  std::lock_guard threads(threads_mutex_);
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.join();
  }
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace chat
