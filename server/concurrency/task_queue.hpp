#pragma once
// Internal: the pool's waiting tasks: the recycled nodes that hold them, the per-priority FIFOs
// and the dispatch rule that picks the next one, and the deadlines that may end them first.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <queue>
#include <stop_token>
#include <vector>

#include "server/concurrency/task.hpp"
#include "server/concurrency/task_handle.hpp"

namespace chat {

// Anti-starvation budgets of the pool. Thread-safe: plain value.
// A queued non-urgent task whose wait reaches the budget of its level is "aged": aged tasks are
// taken before any non-aged task of a higher level (Urgent excepted). duration::max() = never ages.
struct AgeBudgets {
  std::chrono::steady_clock::duration low = std::chrono::seconds(2);
  std::chrono::steady_clock::duration normal = std::chrono::milliseconds(500);
  std::chrono::steady_clock::duration high = std::chrono::steady_clock::duration::max();
};

}  // namespace chat

namespace chat::detail {

// One queued or running task. Nodes are recycled by TaskNodePool; every field is
// guarded by the owning pool's mutex.
struct WorkerSlot;

struct TaskNode {
  enum class State : std::uint8_t { Free, Queued, Running };
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  TaskId id;
  State state = State::Free;
  Priority priority = Priority::Normal;
  std::uint16_t class_index = 0;  // 0 = no class
  bool has_start_deadline = false;
  bool has_run_timeout = false;
  bool cancel_requested = false;  // running task: cancel() asked it to stop
  bool overdue = false;           // running task: run timeout fired
  time_point enqueued{};
  time_point started{};
  time_point start_deadline{};
  duration run_timeout{};

  std::function<void(std::stop_token)> work;
  std::function<void()> on_success;
  std::function<void(std::exception_ptr)> on_error;
  std::shared_ptr<TaskStatusCell> observer;  // set only for tasks with a handle
  WorkerSlot* worker = nullptr;              // while running

  // Intrusive links: the queue list while queued, the free list while free.
  TaskNode* prev = nullptr;
  TaskNode* next = nullptr;
};

// Recycles TaskNodes so posting a task allocates nothing once the pool has warmed up,
// and finds a live node from its TaskId in O(1). Thread-safety: none; guarded by the pool mutex.
class TaskNodePool {
 public:
  TaskNodePool() = default;
  TaskNodePool(const TaskNodePool&) = delete;
  TaskNodePool& operator=(const TaskNodePool&) = delete;

  // Returns a node whose id.slot is set and whose other fields are defaults.
  TaskNode* acquire();
  // The node must be detached from any list; its callables must already be moved out or empty.
  void release(TaskNode* node) noexcept;
  // The queued or running node with this id, or nullptr (finished, recycled or never existed).
  TaskNode* find_live(TaskId id) const noexcept;

 private:
  static constexpr std::size_t kChunk = 256;
  void grow();

  std::vector<std::unique_ptr<TaskNode[]>> chunks_;
  TaskNode* free_ = nullptr;
};

// Start deadlines of queued tasks and run timeouts of running tasks, earliest first.
// Entries are not removed when their task ends; the pool ignores an entry whose task is gone.
// Thread-safety: none; guarded by the pool mutex.
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

// The pool's queue of waiting tasks and its dispatch rule.
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
