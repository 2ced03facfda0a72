#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "server/concurrency/task.hpp"
#include "server/concurrency/thread_pool.hpp"

namespace chat {

// The result of one task of a batch: a value or the exception that replaced it.
// Thread-safety: a plain value with one owner.
template <class R>
class Outcome {
 public:
  static Outcome success(R value) { return Outcome(std::in_place_index<0>, std::move(value)); }
  static Outcome failure(std::exception_ptr error) { return Outcome(std::in_place_index<1>, std::move(error)); }

  bool has_value() const noexcept { return v_.index() == 0; }
  // Rethrows the error when there is no value.
  const R& value() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(v_));
    return std::get<0>(v_);
  }
  std::exception_ptr error() const noexcept { return has_value() ? nullptr : std::get<1>(v_); }

 private:
  template <std::size_t I, class T>
  Outcome(std::in_place_index_t<I> i, T&& t) : v_(i, std::forward<T>(t)) {}
  std::variant<R, std::exception_ptr> v_;
};

template <>
class Outcome<void> {
 public:
  static Outcome success() { return Outcome(nullptr); }
  static Outcome failure(std::exception_ptr error) { return Outcome(std::move(error)); }

  bool has_value() const noexcept { return !error_; }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  std::exception_ptr error() const noexcept { return error_; }

 private:
  explicit Outcome(std::exception_ptr e) : error_(std::move(e)) {}
  std::exception_ptr error_;
};

// run_batch: runs a list of tasks on a pool with a concurrency limit, a per-task timeout and an
// overall timeout, and returns one Outcome per task in input order.
//
// - At most `max_concurrency` tasks of the batch are queued or running at once.
// - task_timeout is the pool's run timeout: the task's stop_token is triggered and its outcome
//   is TaskTimedOut whatever it returns.
// - When overall_timeout passes, run_batch returns at once: unfinished tasks are cancelled
//   (queued ones never run, running ones get a stop request) and their outcome is TaskTimedOut;
//   tasks never handed to the pool also get TaskTimedOut.
// - A refused task gets TaskRejected (a full queue is retried until the overall timeout).
// Thread-safety: blocks the caller; throws WouldDeadlock when called on a worker of `pool`.
struct BatchOptions {
  std::size_t max_concurrency = 4;
  std::optional<std::chrono::steady_clock::duration> task_timeout;
  std::optional<std::chrono::steady_clock::duration> overall_timeout;
  Priority priority = Priority::Normal;
  std::string concurrency_class;
};

namespace detail {

template <class R, class F>
class BatchState {
 public:
  explicit BatchState(std::vector<F> tasks)
      : tasks_(std::move(tasks)), staged_(tasks_.size()), results_(tasks_.size()) {}

  std::size_t size() const noexcept { return tasks_.size(); }

  // Runs on a worker; the value waits in its own slot until on_success moves it out.
  void run(std::size_t i, std::stop_token token) {
    if constexpr (std::is_void_v<R>) {
      invoke_task(tasks_[i], std::move(token));
    } else {
      staged_[i].emplace(invoke_task(tasks_[i], std::move(token)));
    }
  }
  void succeeded(std::size_t i) {
    if constexpr (std::is_void_v<R>) {
      settle(i, Outcome<R>::success());
    } else {
      settle(i, Outcome<R>::success(std::move(*staged_[i])));
    }
  }
  void settle(std::size_t i, Outcome<R> outcome) {
    std::lock_guard lk(mutex_);
    if (abandoned_ || results_[i]) return;
    results_[i].emplace(std::move(outcome));
    ++done_;
    --in_flight_;
    cv_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<F> tasks_;
  std::vector<std::conditional_t<std::is_void_v<R>, char, std::optional<R>>> staged_;
  std::vector<std::optional<Outcome<R>>> results_;
  std::size_t done_ = 0;
  std::size_t in_flight_ = 0;
  bool abandoned_ = false;  // run_batch returned; late completions are ignored
};

}  // namespace detail

template <class F, class R = detail::task_result_t<F>>
std::vector<Outcome<R>> run_batch(ThreadPool& pool, std::vector<F> tasks, const BatchOptions& options) {
  if (pool.on_worker_thread()) throw WouldDeadlock("run_batch called from a worker of the same pool");
  using Clock = std::chrono::steady_clock;
  constexpr auto kFullQueueRetry = std::chrono::milliseconds(2);
  auto state = std::make_shared<detail::BatchState<R, F>>(std::move(tasks));
  const std::size_t n = state->size();
  const std::size_t limit = std::max<std::size_t>(1, options.max_concurrency);
  const auto deadline = options.overall_timeout ? Clock::now() + *options.overall_timeout : Clock::time_point::max();
  std::vector<std::optional<TaskId>> ids(n);
  std::size_t next = 0;
  bool timed_out = false;

  std::unique_lock lk(state->mutex_);
  while (state->done_ < n) {
    bool queue_full = false;
    while (next < n && state->in_flight_ < limit) {
      ++state->in_flight_;
      lk.unlock();
      TaskOptions to;
      to.priority = options.priority;
      to.concurrency_class = options.concurrency_class;
      to.run_timeout = options.task_timeout;
      const std::size_t i = next;
      to.on_success = [state, i] { state->succeeded(i); };
      to.on_error = [state, i](std::exception_ptr e) { state->settle(i, Outcome<R>::failure(std::move(e))); };
      const SubmitResult r = pool.post([state, i](std::stop_token t) { state->run(i, std::move(t)); }, std::move(to));
      lk.lock();
      if (r.ok()) {
        ids[i] = r.id();
        ++next;
      } else if (r.reason() == RejectReason::QueueFull) {
        --state->in_flight_;
        queue_full = true;
        break;
      } else {
        --state->in_flight_;
        state->results_[i].emplace(Outcome<R>::failure(std::make_exception_ptr(TaskRejected(r.reason()))));
        ++state->done_;
        ++next;
      }
    }
    if (state->done_ == n) break;
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    const std::size_t done_before = state->done_;
    const auto wake = queue_full ? std::min(deadline, Clock::now() + kFullQueueRetry) : deadline;
    state->cv_.wait_until(lk, wake, [&] { return state->done_ != done_before; });
  }

  if (timed_out) {
    state->abandoned_ = true;
    std::vector<TaskId> unfinished;
    for (std::size_t i = 0; i < n; ++i) {
      if (!state->results_[i]) {
        state->results_[i].emplace(Outcome<R>::failure(std::make_exception_ptr(TaskTimedOut(ids[i].value_or(TaskId{})))));
        if (ids[i]) unfinished.push_back(*ids[i]);
      }
    }
    lk.unlock();
    for (TaskId id : unfinished) pool.cancel(id);
    lk.lock();
  }
  std::vector<Outcome<R>> out;
  out.reserve(n);
  for (auto& r : state->results_) out.push_back(std::move(*r));
  return out;
}

}  // namespace chat
