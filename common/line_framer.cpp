#include "common/line_framer.hpp"

namespace chat {

LineFramer::LineFramer(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

LineFramer::Status LineFramer::append(std::string_view bytes) {
  if (too_large_) return Status::TooLarge;
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    tail_start_ -= consumed_;
    consumed_ = 0;
  }
  const std::size_t old_size = buffer_.size();
  buffer_.append(bytes);
  if (const auto newline = bytes.rfind('\n'); newline != std::string_view::npos) {
    tail_start_ = old_size + newline + 1;
  }
  // Complete lines are checked by next_line(); here only the unfinished tail,
  // so that it can never grow past the limit. (+1: a '\r' is not content.)
  if (buffer_.size() - tail_start_ > max_line_bytes_ + 1) {
    too_large_ = true;
    return Status::TooLarge;
  }
  return Status::Ok;
}

std::optional<std::string_view> LineFramer::next_line() {
  // Complete lines that arrived before an over-long tail are still handed out: each of them is a request
  // owed its reply. An over-long complete line ends the stream at once: nothing after it can be trusted.
  if (consumed_ >= tail_start_) {
    // Every byte was handed out: give the storage back, so that an idle connection holds no
    // buffer at all (a busy one gets a fresh one on its next read).
    if (consumed_ == buffer_.size() && buffer_.capacity() > 0) {
      std::string().swap(buffer_);
      consumed_ = tail_start_ = 0;
    }
    return std::nullopt;
  }
  const auto newline = buffer_.find('\n', consumed_);
  std::string_view line(buffer_.data() + consumed_, newline - consumed_);
  consumed_ = newline + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_line_bytes_) {
    too_large_ = true;
    tail_start_ = consumed_;  // no line after this one
    return std::nullopt;
  }
  return line;
}

bool LineFramer::failed() const noexcept { return too_large_; }

}  // namespace chat
