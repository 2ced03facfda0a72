#pragma once
// Internal: one queued or running task. Nodes are recycled by TaskNodePool; every field is
// guarded by the owning pool's mutex.

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <stop_token>

#include "server/concurrency/task_id.hpp"
#include "server/concurrency/task_priority.hpp"
#include "server/concurrency/task_status_cell.hpp"

namespace chat::detail {

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

}  // namespace chat::detail
