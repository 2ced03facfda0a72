#pragma once

#include <cstddef>
#include <string>

namespace chat::client {

// Where a line without '/' (or a /me) goes.
struct ChatTarget {
  enum class Kind {
    Room,  // a message to the room `name`
    Dm,    // a direct message to the user `name`
    None,  // the status buffer: nowhere
  };
  Kind kind = Kind::None;
  std::string name;
};

// What the commands that act on buffers (/window, /next, /prev, /query,
// /leave in a conversation) need from them. Only the interactive mode has
// buffers; scripts have no BufferControl, and those commands are refused or
// act as they always did there.
class BufferControl {
 public:
  virtual ~BufferControl() = default;

  // The room or conversation of the buffer shown.
  virtual ChatTarget chat_target() const = 0;
  // Shows buffer `number`; false when there is none.
  virtual bool show(std::size_t number) = 0;
  virtual void show_next() = 0;
  virtual void show_previous() = 0;
  // Lists the buffers (/window alone).
  virtual void list() = 0;
  // Opens (if need be) and shows the conversation with `user`.
  virtual void query(const std::string& user) = 0;
  // Closes the conversation shown (/leave in it).
  virtual void close_conversation() = 0;
};

}  // namespace chat::client
