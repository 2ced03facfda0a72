#pragma once
// Priority levels of the worker pool. Thread-safe: plain values.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chat {

// Urgent > High > Normal > Low. The numeric order is the dispatch order.
enum class Priority : std::uint8_t { Low, Normal, High, Urgent };

inline constexpr std::size_t kPriorityLevels = 4;

constexpr std::size_t index_of(Priority p) noexcept { return static_cast<std::size_t>(p); }

constexpr std::string_view to_string(Priority p) noexcept {
  switch (p) {
    case Priority::Low: return "low";
    case Priority::Normal: return "normal";
    case Priority::High: return "high";
    case Priority::Urgent: return "urgent";
  }
  return "unknown";
}

}  // namespace chat
