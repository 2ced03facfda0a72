#include "loadtest/line_pipe.hpp"

#include <unistd.h>

#include <cerrno>

#include <boost/asio/buffer.hpp>

#include "common/frames.hpp"

namespace chat::loadtest {
namespace {

// A worker's result carries whole histograms and per-room tallies.
constexpr std::size_t kMaxMessageBytes = 256 << 20;

}  // namespace

LinePipe::LinePipe(boost::asio::io_context& io, int read_fd, int write_fd)
    : in_(io, read_fd), write_fd_(write_fd), framer_(kMaxMessageBytes) {}

LinePipe::~LinePipe() { close_write(); }

void LinePipe::start(OnLine on_line, OnEnd on_end) {
  on_line_ = std::move(on_line);
  on_end_ = std::move(on_end);
  read_more();
}

void LinePipe::read_more() {
  in_.async_read_some(boost::asio::buffer(buffer_), [this](const boost::system::error_code& error, std::size_t n) {
    if (error || framer_.append(std::string_view(buffer_.data(), n)) != LineFramer::Status::Ok) {
      return on_end_();
    }
    while (auto line = framer_.next_line()) {
      if (line->empty()) continue;
      auto message = nlohmann::json::parse(*line, nullptr, false);
      if (message.is_discarded()) return on_end_();
      on_line_(message);
    }
    read_more();
  });
}

bool LinePipe::write(const nlohmann::json& message) {
  if (write_fd_ < 0) return false;
  const std::string line = to_line(message);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(write_fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

void LinePipe::close_write() noexcept {
  if (write_fd_ >= 0) ::close(write_fd_);
  write_fd_ = -1;
}

}  // namespace chat::loadtest
