#pragma once
// Internal: start deadlines of queued tasks and run timeouts of running tasks, earliest first.
// Entries are not removed when their task ends; the pool ignores an entry whose task is gone.
// Thread-safety: none; guarded by the pool mutex.

#include <chrono>
#include <functional>
#include <queue>
#include <vector>

#include "server/concurrency/task_id.hpp"

namespace chat::detail {

struct Deadline {
  enum class Kind { Start, Run };
  std::chrono::steady_clock::time_point when;
  TaskId task;
  Kind kind;

  friend bool operator>(const Deadline& a, const Deadline& b) noexcept { return a.when > b.when; }
};

class DeadlineQueue {
 public:
  // True when the new entry is now the earliest (the watcher must re-plan its sleep).
  bool push(const Deadline& d) {
    const bool earliest = heap_.empty() || d.when < heap_.top().when;
    heap_.push(d);
    return earliest;
  }
  bool empty() const noexcept { return heap_.empty(); }
  const Deadline& top() const { return heap_.top(); }
  void pop() { heap_.pop(); }

 private:
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> heap_;
};

}  // namespace chat::detail
