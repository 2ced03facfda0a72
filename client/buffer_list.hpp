#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::client {

// What a buffer shows: the status buffer (the client's notices, the server's
// own), one joined room, or the direct messages with one user.
enum class BufferKind { Status, Room, Dm };

struct Buffer {
  BufferKind kind = BufferKind::Status;
  std::string name;                // the room (no '#'), the other user, or "status"
  std::deque<std::string> lines;   // the scrollback, oldest first
  int unread = 0;                  // messages that came while another buffer was shown
  bool highlight = false;          // ... one of them for you (your name, a direct message)

  // "#general", "bob", "status": how the status line and /window name it.
  std::string label() const;
  // "3:#dev", with "(4)" or "(4!)" after it while it has unread lines: one buffer in the status line and
  // /window's list.
  std::string entry(std::size_t number) const;
};

// How a line added to a buffer counts when that buffer is not the one shown.
enum class Activity {
  Quiet,      // joins, topics, replies: kept, not counted (irssi's lowest activity level)
  Message,    // counts as unread
  Highlight,  // counts as unread and marks the buffer with '!'
};

// The numbered buffers of the interactive client, as irssi's windows: 1 is
// the status buffer, which cannot be closed; the rest are numbered in the
// order they were opened and renumbered when one closes. Each keeps its last
// `scrollback` lines, and there are at most `max_buffers`: every name a peer
// makes up (a guest's direct message, a room a server makes up) would
// otherwise open one, and memory and the status line would grow without end.
// No I/O: the caller shows what add() and select() say.
class BufferList {
 public:
  static constexpr std::size_t kDefaultScrollback = 1000;
  static constexpr std::size_t kDefaultMaxBuffers = 64;
  static constexpr std::size_t kStatus = 1;
  // Buffers with unread lines the status line names; the rest are counted ("+3 more").
  static constexpr std::size_t kStatusLineEntries = 10;

  explicit BufferList(std::size_t scrollback = kDefaultScrollback, std::size_t max_buffers = kDefaultMaxBuffers);

  // The number of the buffer of `kind` named `name`, if open.
  std::optional<std::size_t> find(BufferKind kind, std::string_view name) const;
  // That buffer's number, opened at the end first if need be (not shown);
  // the status buffer's when max_buffers are open.
  std::size_t open(BufferKind kind, std::string_view name);
  // Closes a buffer (not the status buffer); when it was the current one,
  // the one before it becomes current. False when there is no such buffer.
  bool close(std::size_t number);

  // Adds a line to buffer `number`. True when that is the current buffer, so
  // the line is to be printed now; else it waits in the scrollback and
  // `activity` raises the buffer's unread count and highlight.
  bool add(std::size_t number, std::string line, Activity activity);

  // Makes buffer `number` current, clearing its unread count and highlight;
  // false (nothing changes) when there is no such buffer.
  bool select(std::size_t number);
  // The next and previous buffer, wrapping around.
  std::size_t next() const noexcept;
  std::size_t previous() const noexcept;

  std::size_t current() const noexcept { return current_; }
  std::size_t size() const noexcept { return buffers_.size(); }
  // 1-based; `number` must be between 1 and size().
  const Buffer& at(std::size_t number) const { return buffers_.at(number - 1); }

  // "[2:#general] 3:#dev(4) 4:bob(1!)": the current buffer, then those with
  // unread lines, the count and '!' for a highlight (highlights first when
  // not all fit in kStatusLineEntries).
  std::string status_line() const;

 private:
  std::size_t scrollback_;
  std::size_t max_buffers_;
  std::vector<Buffer> buffers_;
  std::size_t current_ = kStatus;
};

}  // namespace chat::client
