#pragma once
// Result of try_submit / submit: a TaskHandle, or why the task was refused.
// Thread-safety: a plain value with one owner.

#include <cassert>
#include <variant>

#include "server/concurrency/reject_reason.hpp"
#include "server/concurrency/task_handle.hpp"

namespace chat {

template <class R>
class Submission {
 public:
  static Submission accepted(TaskHandle<R> handle) { return Submission(std::move(handle)); }
  static Submission refused(RejectReason reason) { return Submission(reason); }

  bool ok() const noexcept { return std::holds_alternative<TaskHandle<R>>(value_); }
  explicit operator bool() const noexcept { return ok(); }
  // Precondition: ok().
  TaskHandle<R>& handle() {
    assert(ok());
    return std::get<TaskHandle<R>>(value_);
  }
  TaskId id() const { return std::get<TaskHandle<R>>(value_).id(); }
  // Precondition: !ok().
  RejectReason reason() const {
    assert(!ok());
    return std::get<RejectReason>(value_);
  }

 private:
  explicit Submission(TaskHandle<R> handle) : value_(std::move(handle)) {}
  explicit Submission(RejectReason reason) : value_(reason) {}
  std::variant<TaskHandle<R>, RejectReason> value_;
};

}  // namespace chat
