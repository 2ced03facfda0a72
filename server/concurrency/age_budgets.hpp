#pragma once
// Anti-starvation budgets of the pool. Thread-safe: plain value.

#include <chrono>

namespace chat {

// A queued non-urgent task whose wait reaches the budget of its level is "aged": aged tasks are
// taken before any non-aged task of a higher level (Urgent excepted). duration::max() = never ages.
struct AgeBudgets {
  std::chrono::steady_clock::duration low = std::chrono::seconds(2);
  std::chrono::steady_clock::duration normal = std::chrono::milliseconds(500);
  std::chrono::steady_clock::duration high = std::chrono::steady_clock::duration::max();
};

}  // namespace chat
