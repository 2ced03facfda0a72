#include "server/concurrency/task_node_pool.hpp"

namespace chat::detail {

void TaskNodePool::grow() {
  auto chunk = std::make_unique<TaskNode[]>(kChunk);
  const std::size_t base = chunks_.size() * kChunk;
  for (std::size_t i = kChunk; i-- > 0;) {
    chunk[i].id.slot = static_cast<std::uint32_t>(base + i);
    chunk[i].next = free_;
    free_ = &chunk[i];
  }
  chunks_.push_back(std::move(chunk));
}

TaskNode* TaskNodePool::acquire() {
  if (free_ == nullptr) grow();
  TaskNode* node = free_;
  free_ = node->next;
  node->next = nullptr;
  return node;
}

void TaskNodePool::release(TaskNode* node) noexcept {
  const auto slot = node->id.slot;
  node->id = TaskId{0, slot};
  node->state = TaskNode::State::Free;
  node->has_start_deadline = node->has_run_timeout = false;
  node->cancel_requested = node->overdue = false;
  node->observer.reset();
  node->worker = nullptr;
  node->prev = nullptr;
  node->next = free_;
  free_ = node;
}

TaskNode* TaskNodePool::find_live(TaskId id) const noexcept {
  if (!id.valid()) return nullptr;
  const std::size_t chunk = id.slot / kChunk;
  if (chunk >= chunks_.size()) return nullptr;
  TaskNode* node = &chunks_[chunk][id.slot % kChunk];
  if (node->id.seq != id.seq || node->state == TaskNode::State::Free) return nullptr;
  return node;
}

}  // namespace chat::detail
