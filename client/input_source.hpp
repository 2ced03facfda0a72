#pragma once

#include <array>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "common/line_framer.hpp"

namespace chat::client {

namespace asio = boost::asio;

// The lines of a script, from a file, a pipe or a terminal. Pipes and
// terminals are read as data arrives, so the loop keeps serving the socket
// while a slow producer writes; regular files and devices like /dev/null
// cannot be waited on with epoll, but never block, so they are read directly.
class InputSource {
 public:
  static constexpr std::size_t kMaxLine = 1024 * 1024;

  // Takes ownership of `fd`.
  InputSource(asio::any_io_executor executor, int fd);
  ~InputSource();
  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;

  // The next line without its line end; nullopt at the end of the input.
  // Throws std::runtime_error for a line longer than kMaxLine.
  asio::awaitable<std::optional<std::string>> next_line();

  // Ends the input early: a read waiting on a pipe or terminal returns, and
  // next_line() gives nullopt from now on.
  void cancel();

 private:
  asio::awaitable<std::size_t> read_some();

  int fd_;
  // Only for what epoll can watch; regular files are read through fd_.
  std::optional<asio::posix::stream_descriptor> stream_;
  bool at_end_ = false;
  bool cancelled_ = false;
  LineFramer framer_{kMaxLine};
  std::array<char, 8192> buffer_{};
};

}  // namespace chat::client
