#include "server/messaging/frame_budget.hpp"

namespace chat {

bool FrameBudget::take(std::size_t size) {
  if (exhausted_) return false;
  if (size <= left_) {
    left_ -= size;
  } else if (taken_ < min_frames_) {
    left_ = 0;
  } else {
    exhausted_ = true;
    return false;
  }
  ++taken_;
  return true;
}

}  // namespace chat
