#pragma once
// Internal: bounded record of the final status of recently finished tasks, direct-mapped by
// sequence number, so status(id) keeps answering for a while after a task ends without any
// per-task allocation. Older entries are overwritten. Thread-safety: none; guarded by the pool.

#include <cstdint>
#include <optional>
#include <vector>

#include "server/concurrency/task_id.hpp"
#include "server/concurrency/task_status.hpp"

namespace chat::detail {

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
