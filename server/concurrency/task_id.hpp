#pragma once
// Identity of one pool task. Thread-safe: plain value.

#include <cstddef>
#include <cstdint>
#include <functional>

namespace chat {

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
