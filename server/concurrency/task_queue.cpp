
#include <algorithm>
#include <bit>

#include "server/concurrency/task_queue.hpp"

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

TaskQueue::TaskQueue(std::vector<std::size_t> class_limits, AgeBudgets budgets)
    : lists_(std::max<std::size_t>(class_limits.size(), 1)),
      limit_(std::move(class_limits)),
      running_(lists_.size(), 0),
      queued_per_class_(lists_.size(), 0) {
  limit_.resize(lists_.size(), 0);
  budget_[index_of(Priority::Low)] = budgets.low;
  budget_[index_of(Priority::Normal)] = budgets.normal;
  budget_[index_of(Priority::High)] = budgets.high;
  budget_[index_of(Priority::Urgent)] = std::chrono::steady_clock::duration::max();
}

bool TaskQueue::class_has_room(std::uint16_t c) const noexcept {
  return c == 0 || running_[c] < limit_[c];
}

void TaskQueue::push_back(TaskNode* node) noexcept {
  List& list = lists_[node->class_index][index_of(node->priority)];
  node->next = nullptr;
  node->prev = list.tail;
  (list.tail != nullptr ? list.tail->next : list.head) = node;
  list.tail = node;
  if (per_priority_[index_of(node->priority)]++ == 0) nonempty_levels_ |= level_bit(node->priority);
  ++queued_per_class_[node->class_index];
  ++total_;
}

void TaskQueue::unlink(TaskNode* node) noexcept {
  List& list = lists_[node->class_index][index_of(node->priority)];
  (node->prev != nullptr ? node->prev->next : list.head) = node->next;
  (node->next != nullptr ? node->next->prev : list.tail) = node->prev;
  node->prev = node->next = nullptr;
  if (--per_priority_[index_of(node->priority)] == 0) nonempty_levels_ &= ~level_bit(node->priority);
  --queued_per_class_[node->class_index];
  --total_;
}

TaskNode* TaskQueue::oldest_eligible_head(std::size_t level) const noexcept {
  TaskNode* best = nullptr;
  for (std::size_t c = 0; c < lists_.size(); ++c) {
    TaskNode* head = lists_[c][level].head;
    if (head == nullptr || !class_has_room(static_cast<std::uint16_t>(c))) continue;
    if (best == nullptr || head->id.seq < best->id.seq) best = head;
  }
  return best;
}

TaskNode* TaskQueue::most_aged_head(time_point now) const noexcept {
  TaskNode* best = nullptr;
  std::chrono::steady_clock::duration best_excess{};
  for (std::size_t level = index_of(Priority::High) + 1; level-- > 0;) {
    const auto budget = budget_[level];
    if (per_priority_[level] == 0 || budget == std::chrono::steady_clock::duration::max()) continue;
    for (std::size_t c = 0; c < lists_.size(); ++c) {
      TaskNode* head = lists_[c][level].head;  // the oldest of its list: if it is not aged, none is
      if (head == nullptr || !class_has_room(static_cast<std::uint16_t>(c))) continue;
      const auto waited = now - head->enqueued;
      if (waited < budget) continue;
      const auto excess = waited - budget;
      if (best == nullptr || excess > best_excess) {
        best = head;
        best_excess = excess;
      }
    }
  }
  return best;
}

bool TaskQueue::aging_can_matter() const noexcept {
  // Aging lets a task overtake higher levels. With tasks queued on only one of Low/Normal/High,
  // the oldest eligible head of that level, which rule 3 takes, is also the one furthest past
  // the level's budget, so the scan of rule 2 could only pick the same task.
  constexpr unsigned kBelowUrgent = level_bit(Priority::Urgent) - 1;
  return std::popcount(nonempty_levels_ & kBelowUrgent) > 1;
}

TaskNode* TaskQueue::take_node(TaskNode* node) noexcept {
  unlink(node);
  ++running_[node->class_index];
  return node;
}

TaskNode* TaskQueue::take(time_point now) noexcept {
  if (total_ == 0) return nullptr;
  if (per_priority_[index_of(Priority::Urgent)] != 0) {
    if (TaskNode* n = oldest_eligible_head(index_of(Priority::Urgent))) return take_node(n);
  }
  if (aging_can_matter()) {
    if (TaskNode* n = most_aged_head(now)) return take_node(n);
  }
  for (std::size_t level = index_of(Priority::High) + 1; level-- > 0;) {
    if (per_priority_[level] == 0) continue;
    if (TaskNode* n = oldest_eligible_head(level)) return take_node(n);
  }
  return nullptr;
}

TaskNode* TaskQueue::take_any() noexcept {
  for (auto& per_class : lists_) {
    for (List& list : per_class) {
      if (list.head != nullptr) {
        TaskNode* n = list.head;
        unlink(n);
        return n;
      }
    }
  }
  return nullptr;
}

void TaskQueue::class_finished(std::uint16_t c) noexcept {
  if (running_[c] > 0) --running_[c];
}

std::size_t TaskQueue::runnable() const noexcept {
  std::size_t n = queued_per_class_[0];
  for (std::size_t c = 1; c < lists_.size(); ++c) {
    const std::size_t room = running_[c] < limit_[c] ? limit_[c] - running_[c] : 0;
    n += std::min(queued_per_class_[c], room);
  }
  return n;
}

}  // namespace chat::detail
