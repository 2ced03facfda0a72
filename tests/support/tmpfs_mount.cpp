#include "tests/support/tmpfs_mount.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "tests/support/child_process.hpp"

namespace chat::test {

TmpfsMount::TmpfsMount(std::uint64_t bytes) : path_(make_temp_dir("chat-tmpfs")), bytes_(bytes) {
  const std::string data = "size=" + std::to_string(bytes_) + ",mode=0755";
  if (::mount("tmpfs", path_.c_str(), "tmpfs", 0, data.c_str()) == 0) {
    mounted_ = true;
  } else {
    error_ = "mounting a tmpfs on " + path_.string() + " failed: " + std::strerror(errno);
  }
}

TmpfsMount::~TmpfsMount() {
  // A server killed by the test may still be exiting and hold files open: detach then, the kernel finishes
  // the unmount once the last user is gone.
  if (mounted_ && ::umount2(path_.c_str(), 0) != 0) ::umount2(path_.c_str(), MNT_DETACH);
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TmpfsMount::remount_read_only() {
  const std::string data = "size=" + std::to_string(bytes_);
  if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, data.c_str()) != 0) {
    throw std::runtime_error("remounting " + path_.string() + " read-only failed: " + std::strerror(errno));
  }
}

}  // namespace chat::test
