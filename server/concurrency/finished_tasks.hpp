#pragma once
// Internal: what is left of a task that ended: the callback still to fire, and the record of
// its final status that status(id) answers from.

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <vector>

#include "server/concurrency/task.hpp"
#include "server/concurrency/task_handle.hpp"

namespace chat::detail {

// What is left of a task once its final status is recorded: the callback to fire and
// the callables to destroy, both outside the pool lock (user code must never run under it).
// Thread-safety: owned by one thread.
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

// Bounded record of the final status of recently finished tasks, direct-mapped by
// sequence number, so status(id) keeps answering for a while after a task ends without any
// per-task allocation. Older entries are overwritten. Thread-safety: none; guarded by the pool.
class FinishedTasks {
 public:
  explicit FinishedTasks(std::size_t capacity);
  void record(TaskId id, TaskStatus status) noexcept;
  std::optional<TaskStatus> find(TaskId id) const noexcept;

 private:
  struct Entry {
    std::uint64_t seq = 0;
    TaskStatus status = TaskStatus::Completed;
  };
  std::vector<Entry> entries_;
  std::size_t mask_;
};

}  // namespace chat::detail
