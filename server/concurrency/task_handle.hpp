#pragma once
// The caller's side of a submitted task: its id, its status and a future of its result, and the
// Submission that carries it or the reason the pool refused the task.

#include <atomic>
#include <cassert>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

#include "server/concurrency/task.hpp"
#include "server/concurrency/worker.hpp"

namespace chat::detail {

// Internal: how the pool calls a task that may or may not take a std::stop_token.
template <class F>
inline constexpr bool takes_stop_token = std::is_invocable_v<F&, std::stop_token>;

template <class F>
struct task_result {
  using type = typename std::conditional_t<takes_stop_token<F>, std::invoke_result<F&, std::stop_token>,
                                           std::invoke_result<F&>>::type;
};

template <class F>
using task_result_t = typename task_result<std::decay_t<F>>::type;

template <class F>
decltype(auto) invoke_task(F& f, std::stop_token token) {
  if constexpr (takes_stop_token<F>) {
    return std::invoke(f, std::move(token));
  } else {
    return std::invoke(f);
  }
}

}  // namespace chat::detail

namespace chat {

// The status of one task, shared between the pool and the task's handle so the handle can be
// asked after the pool is gone. Thread-safety: atomic; written by the pool, read by anyone.
struct TaskStatusCell {
  std::atomic<TaskStatus> status{TaskStatus::Queued};
};

// The caller's side of a submitted task: its id, its status and a future of its result.
// Thread-safety: like std::future (one owner); status() may be called from any thread and keeps
// working after the pool is destroyed.
template <class R>
class TaskHandle {
 public:
  TaskHandle(TaskId id, std::future<R> future, std::shared_ptr<const TaskStatusCell> cell, const void* pool)
      : id_(id), future_(std::move(future)), cell_(std::move(cell)), pool_(pool) {}

  TaskId id() const noexcept { return id_; }
  TaskStatus status() const noexcept { return cell_->status.load(std::memory_order_acquire); }
  bool ready() const {
    return future_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  // Waits for the result; rethrows the task's exception, TaskCancelled or TaskTimedOut.
  // Throws WouldDeadlock, without waiting, when called on a worker of the owning pool before
  // the task is done.
  R get() {
    refuse_wait_from_own_worker();
    return future_.get();
  }
  void wait() const {
    refuse_wait_from_own_worker();
    future_.wait();
  }
  // Bounded waits are allowed anywhere.
  template <class Rep, class Period>
  std::future_status wait_for(const std::chrono::duration<Rep, Period>& d) const {
    return future_.wait_for(d);
  }

  std::future<R>& future() noexcept { return future_; }

 private:
  void refuse_wait_from_own_worker() const {
    if (detail::on_worker_of(pool_) && !ready()) {
      throw WouldDeadlock("TaskHandle: waiting on a task from a worker of the same pool");
    }
  }

  TaskId id_;
  std::future<R> future_;
  std::shared_ptr<const TaskStatusCell> cell_;
  const void* pool_;  // identity only, never dereferenced
};

namespace detail {

// What a submitted task shares between the pool (runs it, settles it) and its handle.
template <class R, class F>
struct SubmitState final : TaskStatusCell {
  static_assert(!std::is_reference_v<R>, "tasks returning references are not supported; return a value");

  explicit SubmitState(F f) : fn(std::move(f)) {}

  void run(std::stop_token token) {
    if constexpr (std::is_void_v<R>) {
      invoke_task(fn, std::move(token));
    } else {
      result.emplace(invoke_task(fn, std::move(token)));
    }
  }
  void succeed() {
    if constexpr (std::is_void_v<R>) {
      promise.set_value();
    } else {
      promise.set_value(std::move(*result));
    }
  }
  void fail(std::exception_ptr error) { promise.set_exception(std::move(error)); }

  F fn;
  std::promise<R> promise;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
};

}  // namespace detail

// Result of try_submit / submit: a TaskHandle, or why the task was refused.
// Thread-safety: a plain value with one owner.
template <class R>
class Submission {
 public:
  static Submission accepted(TaskHandle<R> handle) { return Submission(std::move(handle)); }
  static Submission refused(RejectReason reason) { return Submission(reason); }

  bool ok() const noexcept { return std::holds_alternative<TaskHandle<R>>(value_); }
  explicit operator bool() const noexcept { return ok(); }
  // Precondition: ok().
  TaskHandle<R>& handle() {
    assert(ok());
    return std::get<TaskHandle<R>>(value_);
  }
  TaskId id() const { return std::get<TaskHandle<R>>(value_).id(); }
  // Precondition: !ok().
  RejectReason reason() const {
    assert(!ok());
    return std::get<RejectReason>(value_);
  }

 private:
  explicit Submission(TaskHandle<R> handle) : value_(std::move(handle)) {}
  explicit Submission(RejectReason reason) : value_(reason) {}
  std::variant<TaskHandle<R>, RejectReason> value_;
};

}  // namespace chat
