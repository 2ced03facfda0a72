#include "server/concurrency/finished_tasks.hpp"

#include <bit>

namespace chat::detail {

FinishedTasks::FinishedTasks(std::size_t capacity)
    : entries_(std::bit_ceil(capacity < 1 ? std::size_t{1} : capacity)), mask_(entries_.size() - 1) {}

void FinishedTasks::record(TaskId id, TaskStatus status) noexcept {
  entries_[id.seq & mask_] = Entry{id.seq, status};
}

std::optional<TaskStatus> FinishedTasks::find(TaskId id) const noexcept {
  const Entry& e = entries_[id.seq & mask_];
  if (!id.valid() || e.seq != id.seq) return std::nullopt;
  return e.status;
}

}  // namespace chat::detail
