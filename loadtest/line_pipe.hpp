#pragma once

#include <array>
#include <functional>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <nlohmann/json.hpp>

#include "common/line_framer.hpp"

namespace chat::loadtest {

// The parent and its workers talk in JSON lines over a pair of pipes: reads
// are asynchronous on the io_context, writes are small and blocking.
class LinePipe {
 public:
  using OnLine = std::function<void(const nlohmann::json& message)>;
  using OnEnd = std::function<void()>;

  // Takes ownership of both descriptors.
  LinePipe(boost::asio::io_context& io, int read_fd, int write_fd);
  ~LinePipe();
  LinePipe(const LinePipe&) = delete;
  LinePipe& operator=(const LinePipe&) = delete;

  // on_end: end of input, a read error or a line that is not JSON.
  void start(OnLine on_line, OnEnd on_end);
  // False when the other side is gone.
  bool write(const nlohmann::json& message);
  void close_write() noexcept;

 private:
  void read_more();

  boost::asio::posix::stream_descriptor in_;
  int write_fd_;
  LineFramer framer_;
  std::array<char, 64 * 1024> buffer_{};
  OnLine on_line_;
  OnEnd on_end_;
};

}  // namespace chat::loadtest
