#include "client/input_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace chat::client {

InputSource::InputSource(asio::any_io_executor executor, int fd) : fd_(fd) {
  struct stat info {};
  const bool regular_file = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
  if (regular_file) return;
  try {
    stream_.emplace(std::move(executor), fd);
  } catch (const boost::system::system_error&) {
    // Not pollable either (/dev/null, for one): read it directly too.
    stream_.reset();
  }
}

InputSource::~InputSource() {
  if (!stream_) ::close(fd_);
}

asio::awaitable<std::size_t> InputSource::read_some() {
  if (!stream_) {
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    co_return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  boost::system::error_code error;
  const std::size_t n = co_await stream_->async_read_some(
      asio::buffer(buffer_), asio::redirect_error(asio::use_awaitable, error));
  co_return error ? 0 : n;
}

void InputSource::cancel() {
  cancelled_ = true;
  boost::system::error_code ignored;
  if (stream_) stream_->cancel(ignored);
}

asio::awaitable<std::optional<std::string>> InputSource::next_line() {
  for (;;) {
    if (cancelled_) co_return std::nullopt;
    if (const auto line = framer_.next_line()) co_return std::string(*line);
    if (framer_.failed()) throw std::runtime_error("an input line is longer than 1 MiB");
    if (at_end_) co_return std::nullopt;
    const std::size_t n = co_await read_some();
    if (n == 0) {
      at_end_ = true;
      // A last line without a line end still counts.
      if (framer_.buffered_bytes() > 0) framer_.append("\n");
      continue;
    }
    framer_.append(std::string_view(buffer_.data(), n));
  }
}

}  // namespace chat::client
