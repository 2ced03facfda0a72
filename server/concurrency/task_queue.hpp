#pragma once
// Internal: the pool's queue of waiting tasks and its dispatch rule.
//
// One intrusive FIFO per (concurrency class, priority), so push, unlink and take are O(1) in the
// number of queued tasks (take is O(classes x levels), both small and fixed at construction).
// The dispatch rule, applied only to tasks whose class has a free slot:
//   1. the oldest Urgent task;
//   2. else, among the heads of the Low/Normal/High lists whose wait reached their level's age
//      budget ("aged"), the one that exceeded its budget the most;
//   3. else the oldest task of the highest non-empty level.
// A task whose class is at its limit stays queued without holding back anything behind it.
// Thread-safety: none; guarded by the pool mutex.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "server/concurrency/age_budgets.hpp"
#include "server/concurrency/task_node.hpp"
#include "server/concurrency/task_priority.hpp"

namespace chat::detail {

class TaskQueue {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  // class_limits[0] belongs to "no class" and is ignored (unlimited).
  TaskQueue(std::vector<std::size_t> class_limits, AgeBudgets budgets);

  void push_back(TaskNode* node) noexcept;
  void unlink(TaskNode* node) noexcept;
  // Unlinks and returns the task the rule picks, counting it as running in its class.
  TaskNode* take(time_point now) noexcept;
  // Unlinks and returns any queued task (for cancelling everything), ignoring class limits.
  TaskNode* take_any() noexcept;
  // A task taken by take() has ended: frees its class slot.
  void class_finished(std::uint16_t class_index) noexcept;
  bool class_has_room(std::uint16_t class_index) const noexcept;

  std::size_t size() const noexcept { return total_; }
  bool empty() const noexcept { return total_ == 0; }
  std::size_t size(Priority p) const noexcept { return per_priority_[index_of(p)]; }
  // Queued tasks that could start right now if workers were free (class slots permitting).
  std::size_t runnable() const noexcept;

 private:
  struct List {
    TaskNode* head = nullptr;
    TaskNode* tail = nullptr;
  };
  TaskNode* oldest_eligible_head(std::size_t level) const noexcept;
  TaskNode* most_aged_head(time_point now) const noexcept;
  // False when rule 2 cannot pick anything but what rule 3 would.
  bool aging_can_matter() const noexcept;
  TaskNode* take_node(TaskNode* node) noexcept;

  std::vector<std::array<List, kPriorityLevels>> lists_;  // [class][level]
  std::vector<std::size_t> limit_;
  std::vector<std::size_t> running_;
  std::vector<std::size_t> queued_per_class_;
  static constexpr unsigned level_bit(Priority p) noexcept { return 1u << index_of(p); }

  std::array<std::size_t, kPriorityLevels> per_priority_{};
  unsigned nonempty_levels_ = 0;  // bit per level with queued tasks
  std::array<std::chrono::steady_clock::duration, kPriorityLevels> budget_{};
  std::size_t total_ = 0;
};

}  // namespace chat::detail
