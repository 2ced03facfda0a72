#include "tests/support/immutable_file.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace chat::test {
namespace {

// Sets or clears the immutable flag; an empty string on success, the reason otherwise.
std::string set_immutable(const std::filesystem::path& path, bool on) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (fd < 0) return std::string("open: ") + std::strerror(errno);
  std::string error;
  int flags = 0;
  if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    error = std::string("reading its attributes: ") + std::strerror(errno);
  } else {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    if (::ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) error = std::string("setting them: ") + std::strerror(errno);
  }
  ::close(fd);
  return error;
}

}  // namespace

ImmutableFile::ImmutableFile(std::filesystem::path path) : path_(std::move(path)) {
  error_ = set_immutable(path_, true);
  immutable_ = error_.empty();
  if (!immutable_) error_ = "cannot make " + path_.string() + " immutable: " + error_;
}

ImmutableFile::~ImmutableFile() {
  // Cleared first, or the test's temporary folder could not be removed.
  if (immutable_) set_immutable(path_, false);
}

}  // namespace chat::test
