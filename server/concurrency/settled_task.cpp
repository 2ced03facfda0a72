#include "server/concurrency/settled_task.hpp"

#include <spdlog/spdlog.h>

#include "server/concurrency/task_errors.hpp"

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

}  // namespace chat::detail
