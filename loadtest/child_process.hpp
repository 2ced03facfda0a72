#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace chat::loadtest {

// A child running this same executable with other arguments, its stdin and
// stdout connected to the parent by pipes (stderr shared). The parent keeps
// the pid to end exactly the children it started.
class ChildProcess {
 public:
  // Throws std::system_error when the pipes or the fork fail.
  static ChildProcess spawn(const std::vector<std::string>& args);

  pid_t pid() const noexcept { return pid_; }
  int stdin_fd() const noexcept { return stdin_fd_; }    // the parent writes here
  int stdout_fd() const noexcept { return stdout_fd_; }  // and reads here
  // Waits for the child; its exit code, or 128 + signal.
  int wait() noexcept;
  void kill() noexcept;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace chat::loadtest
