#pragma once

#include <cstddef>

namespace chat {

// How much of a large answer — a join's replay, a history page, a backlog of
// direct messages — goes into one connection's outbound queue now. Frames are
// offered in the order they would be cut from the answer's far end: the first
// one that does not fit ends it, so what is sent stays one contiguous run and
// the rest can be fetched (or sent later) without a gap or a duplicate.
// Not thread-safe: one answer, one thread.
class FrameBudget {
 public:
  // `min_frames` are taken whatever their size, so that paging always moves
  // on; the server's configuration guarantees that one message fits the
  // outbound queue (see ServerConfig::validate()).
  explicit FrameBudget(std::size_t bytes, std::size_t min_frames = 0) : left_(bytes), min_frames_(min_frames) {}

  // True (and the bytes are spent) if a frame of `size` bytes fits; false
  // from the first frame that does not, and for every frame after it.
  bool take(std::size_t size);

  std::size_t taken() const noexcept { return taken_; }
  // Whether a frame was refused, i.e. the answer was cut short.
  bool exhausted() const noexcept { return exhausted_; }

 private:
  std::size_t left_;
  std::size_t min_frames_;
  std::size_t taken_ = 0;
  bool exhausted_ = false;
};

}  // namespace chat
