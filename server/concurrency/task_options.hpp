#pragma once
// Per-task settings given to ThreadPool::post / try_submit / submit. Thread-safe: plain value.

#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <string>

#include "server/concurrency/task_priority.hpp"

namespace chat {

struct TaskOptions {
  Priority priority = Priority::Normal;
  // Empty = no class. Otherwise a key of ThreadPool::Options::class_limits; unknown names are refused.
  std::string concurrency_class;
  // Relative to submission: if the task has not started by then it never runs and ends TimedOut.
  std::optional<std::chrono::steady_clock::duration> start_deadline;
  // Relative to start: past it, stop is requested and the task ends TimedOut whatever it returns.
  std::optional<std::chrono::steady_clock::duration> run_timeout;
  // Exactly one of the two callbacks fires, once, on a pool thread or on the thread that
  // cancelled the task: on_success after a normal return, on_error otherwise (the task's own
  // exception, TaskCancelled or TaskTimedOut). The task's status is final before either runs.
  std::function<void()> on_success;
  std::function<void(std::exception_ptr)> on_error;
};

}  // namespace chat
