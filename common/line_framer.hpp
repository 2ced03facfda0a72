#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chat {

// Splits a byte stream into '\n'-terminated lines (a trailing '\r' is dropped).
// The size limit is checked as bytes arrive, so a peer can never make the
// framer hold more than max_line_bytes of one line plus one read's worth.
// Not thread-safe: one framer belongs to one connection's reader.
class LineFramer {
 public:
  enum class Status { Ok, TooLarge };

  explicit LineFramer(std::size_t max_line_bytes);

  // Adds received bytes. TooLarge means a line (complete or not) is longer
  // than the limit: the stream cannot be trusted any more and the framer
  // stays in that state.
  Status append(std::string_view bytes);

  // The next complete line without its terminator, or nullopt (no complete
  // line, or a line over the limit: then failed() turns true). Complete lines
  // that arrived before an over-long unfinished tail are still returned. The
  // view stays valid until the next call to append() or next_line(). Once
  // everything appended has been returned, the framer frees its buffer.
  std::optional<std::string_view> next_line();

  // True once a line over the limit was seen.
  bool failed() const noexcept;
  // Whether an unfinished line has begun: bytes after the last '\n'.
  bool has_partial_line() const noexcept { return buffer_.size() > tail_start_; }

  std::size_t max_line_bytes() const noexcept { return max_line_bytes_; }
  std::size_t buffered_bytes() const noexcept { return buffer_.size() - consumed_; }

 private:
  std::size_t max_line_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already returned as lines
  std::size_t tail_start_ = 0;  // start of the unfinished last line
  bool too_large_ = false;
};

}  // namespace chat
