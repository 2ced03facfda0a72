#pragma once
// The caller's side of a submitted task: its id, its status and a future of its result.
// Thread-safety: like std::future (one owner); status() may be called from any thread and keeps
// working after the pool is destroyed.

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <type_traits>

#include "server/concurrency/task_errors.hpp"
#include "server/concurrency/task_id.hpp"
#include "server/concurrency/task_status_cell.hpp"
#include "server/concurrency/task_traits.hpp"
#include "server/concurrency/worker_context.hpp"

namespace chat {

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
}  // namespace chat
