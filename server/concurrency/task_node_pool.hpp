#pragma once
// Internal: recycles TaskNodes so posting a task allocates nothing once the pool has warmed up,
// and finds a live node from its TaskId in O(1). Thread-safety: none; guarded by the pool mutex.

#include <cstddef>
#include <memory>
#include <vector>

#include "server/concurrency/task_node.hpp"

namespace chat::detail {

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

}  // namespace chat::detail
