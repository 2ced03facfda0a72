#pragma once
// The status of one task, shared between the pool and the task's handle so the handle can be
// asked after the pool is gone. Thread-safety: atomic; written by the pool, read by anyone.

#include <atomic>

#include "server/concurrency/task_status.hpp"

namespace chat {

struct TaskStatusCell {
  std::atomic<TaskStatus> status{TaskStatus::Queued};
};

}  // namespace chat
