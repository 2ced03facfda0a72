#pragma once
// What a pool task is: its id, its priority, its life cycle, the options it is submitted with,
// and the ways a submission can be refused or a task end without its result.
// Thread-safety: plain values and immutable exceptions.

#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace chat {

// Priority levels of the worker pool. Thread-safe: plain values.
// Urgent > High > Normal > Low. The numeric order is the dispatch order.
enum class Priority : std::uint8_t { Low, Normal, High, Urgent };

inline constexpr std::size_t kPriorityLevels = 4;

constexpr std::size_t index_of(Priority p) noexcept { return static_cast<std::size_t>(p); }

constexpr std::string_view to_string(Priority p) noexcept {
  switch (p) {
    case Priority::Low: return "low";
    case Priority::Normal: return "normal";
    case Priority::High: return "high";
    case Priority::Urgent: return "urgent";
  }
  return "unknown";
}

// Identity of one pool task. Thread-safe: plain value.
// `seq` is unique per pool and increases with submission order; `slot` lets the pool find a live
// task in O(1) without a hash map on the hot path. A default-constructed id names no task.
struct TaskId {
  std::uint64_t seq = 0;
  std::uint32_t slot = 0;

  constexpr bool valid() const noexcept { return seq != 0; }
  friend constexpr bool operator==(const TaskId&, const TaskId&) = default;
};

}  // namespace chat

template <>
struct std::hash<chat::TaskId> {
  std::size_t operator()(const chat::TaskId& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.seq);
  }
};

namespace chat {

// Life cycle of one pool task. Thread-safe: plain values.
//
// Queued -> Running -> Completed | Failed | Cancelled | TimedOut
// Queued -> Cancelled (cancel / shutdown_now) | TimedOut (start deadline passed)
enum class TaskStatus { Queued, Running, Completed, Failed, Cancelled, TimedOut };

constexpr bool is_final(TaskStatus s) noexcept {
  return s != TaskStatus::Queued && s != TaskStatus::Running;
}

constexpr std::string_view to_string(TaskStatus s) noexcept {
  switch (s) {
    case TaskStatus::Queued: return "queued";
    case TaskStatus::Running: return "running";
    case TaskStatus::Completed: return "completed";
    case TaskStatus::Failed: return "failed";
    case TaskStatus::Cancelled: return "cancelled";
    case TaskStatus::TimedOut: return "timed_out";
  }
  return "unknown";
}

// Why the pool refused a task. Thread-safe: plain values.
enum class RejectReason {
  QueueFull,      // no room for this priority (try_submit / post never wait)
  ShutDown,       // shutdown() or shutdown_now() was called
  Timeout,        // submit() waited for room longer than its timeout
  WouldDeadlock,  // a worker of this pool would have had to wait on the pool itself
  UnknownClass,   // TaskOptions::concurrency_class is not configured in Options::class_limits
};

constexpr std::string_view to_string(RejectReason r) noexcept {
  switch (r) {
    case RejectReason::QueueFull: return "queue full";
    case RejectReason::ShutDown: return "pool shut down";
    case RejectReason::Timeout: return "timed out waiting for queue room";
    case RejectReason::WouldDeadlock: return "would deadlock: called from a worker of the same pool";
    case RejectReason::UnknownClass: return "unknown concurrency class";
  }
  return "unknown";
}

// Per-task settings given to ThreadPool::post / try_submit / submit. Thread-safe: plain value.
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

// Result of a fire-and-forget post: the task id, or why it was refused. Thread-safe: plain value.
class SubmitResult {
 public:
  static SubmitResult accepted(TaskId id) noexcept { return SubmitResult(id); }
  static SubmitResult refused(RejectReason r) noexcept { return SubmitResult(r); }

  bool ok() const noexcept { return std::holds_alternative<TaskId>(value_); }
  explicit operator bool() const noexcept { return ok(); }
  // Precondition: ok().
  TaskId id() const noexcept {
    assert(ok());
    return std::get<TaskId>(value_);
  }
  // Precondition: !ok().
  RejectReason reason() const noexcept {
    assert(!ok());
    return std::get<RejectReason>(value_);
  }

 private:
  explicit SubmitResult(TaskId id) noexcept : value_(id) {}
  explicit SubmitResult(RejectReason r) noexcept : value_(r) {}
  std::variant<TaskId, RejectReason> value_;
};

// Exceptions the pool hands to futures and on_error callbacks. Thread-safe: immutable values.
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
