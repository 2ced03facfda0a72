#pragma once
// Exceptions the pool hands to futures and on_error callbacks. Thread-safe: immutable values.

#include <stdexcept>
#include <string>

#include "server/concurrency/reject_reason.hpp"
#include "server/concurrency/task_id.hpp"

namespace chat {

// Base of the errors the pool itself produces (as opposed to errors thrown by the task).
class TaskError : public std::runtime_error {
 public:
  TaskError(const std::string& what, TaskId id) : std::runtime_error(what), id_(id) {}
  TaskId id() const noexcept { return id_; }

 private:
  TaskId id_;
};

// cancel(id) or shutdown_now() ended the task.
class TaskCancelled : public TaskError {
 public:
  explicit TaskCancelled(TaskId id) : TaskError("task cancelled", id) {}
};

// The start deadline passed while queued, or the task overran its run timeout.
class TaskTimedOut : public TaskError {
 public:
  explicit TaskTimedOut(TaskId id) : TaskError("task timed out", id) {}
};

// The pool refused the task (used where a refusal has to travel as an exception, e.g. batches).
class TaskRejected : public TaskError {
 public:
  explicit TaskRejected(RejectReason r)
      : TaskError(std::string("task rejected: ").append(to_string(r)), TaskId{}), reason_(r) {}
  RejectReason reason() const noexcept { return reason_; }

 private:
  RejectReason reason_;
};

// A worker of a pool tried to block on that same pool (waiting on a task handle, a batch or a
// shutdown join). Refused because with every worker doing this, nothing would ever finish.
class WouldDeadlock : public std::logic_error {
 public:
  explicit WouldDeadlock(const std::string& what) : std::logic_error(what) {}
};

}  // namespace chat
