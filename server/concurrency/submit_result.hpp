#pragma once
// Result of a fire-and-forget post: the task id, or why it was refused. Thread-safe: plain value.

#include <cassert>
#include <variant>

#include "server/concurrency/reject_reason.hpp"
#include "server/concurrency/task_id.hpp"

namespace chat {

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

}  // namespace chat
