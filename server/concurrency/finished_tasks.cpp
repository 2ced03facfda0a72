
#include <bit>
#include <spdlog/spdlog.h>

#include "server/concurrency/finished_tasks.hpp"
#include "server/concurrency/task.hpp"

namespace chat::detail {
namespace {

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "non-standard exception";
  }
}

std::exception_ptr error_for(TaskStatus status, TaskId id, std::exception_ptr own) {
  switch (status) {
    case TaskStatus::Cancelled: return std::make_exception_ptr(TaskCancelled(id));
    case TaskStatus::TimedOut: return std::make_exception_ptr(TaskTimedOut(id));
    default: return own;
  }
}

}  // namespace

void SettledTask::fire(std::string_view pool_name) noexcept {
  try {
    if (status == TaskStatus::Completed) {
      if (on_success) on_success();
    } else if (on_error) {
      on_error(error_for(status, id, error));
    } else if (status == TaskStatus::Failed) {
      spdlog::warn("pool '{}': task {} failed and nobody observes it: {}", pool_name, id.seq, describe(error));
    }
  } catch (...) {
    spdlog::error("pool '{}': callback of task {} ({}) threw: {}", pool_name, id.seq, to_string(status),
                  describe(std::current_exception()));
  }
  on_success = nullptr;
  on_error = nullptr;
  work = nullptr;
  observer.reset();
}

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
