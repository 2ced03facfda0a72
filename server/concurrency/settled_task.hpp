#pragma once
// Internal: what is left of a task once its final status is recorded: the callback to fire and
// the callables to destroy, both outside the pool lock (user code must never run under it).
// Thread-safety: owned by one thread.

#include <exception>
#include <functional>
#include <memory>
#include <stop_token>
#include <string_view>

#include "server/concurrency/task_id.hpp"
#include "server/concurrency/task_status.hpp"
#include "server/concurrency/task_status_cell.hpp"

namespace chat::detail {

struct SettledTask {
  TaskId id;
  TaskStatus status = TaskStatus::Completed;
  std::exception_ptr error;  // the task's own exception when Failed
  std::function<void(std::stop_token)> work;
  std::function<void()> on_success;
  std::function<void(std::exception_ptr)> on_error;
  std::shared_ptr<TaskStatusCell> observer;

  // True when fire() has something to do besides destroying callables.
  bool has_effect() const noexcept {
    return on_success || on_error || status == TaskStatus::Failed;
  }
  // Fires the one callback that matches the status (logging what no callback would see), then
  // destroys the callables: the work outlives its callbacks, so callbacks may borrow from it.
  void fire(std::string_view pool_name) noexcept;
};

}  // namespace chat::detail
