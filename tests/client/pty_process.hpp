#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::test {

// The real chat-client on a pseudo-terminal of its own: stdin, stdout and
// stderr are the terminal, which is also its controlling terminal (so
// /dev/tty, Ctrl-C and isatty() behave as for a person at a keyboard).
class PtyProcess {
 public:
  // `env` entries override the inherited environment; nullopt unsets one.
  using Environment = std::map<std::string, std::optional<std::string>>;
  explicit PtyProcess(std::vector<std::string> args, const Environment& env = {});
  ~PtyProcess();  // kills it if still running
  PtyProcess(const PtyProcess&) = delete;
  PtyProcess& operator=(const PtyProcess&) = delete;

  // Everything written to the terminal so far, escape sequences included.
  std::string output();

  // Reads the terminal until its output contains `text`; false at the limit.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds limit = std::chrono::seconds(20));

  // Keystrokes, as typed ("\x03" is Ctrl-C).
  void type(std::string_view keys) const;
  void signal(int signal) const;

  // Waits for the exit; the raw wait status, or nullopt (then killed) at the limit.
  std::optional<int> wait(std::chrono::milliseconds limit = std::chrono::seconds(20));

  // Whether the terminal echoes typed characters now.
  bool echo_on() const;

 private:
  void drain();

  int master_ = -1;
  int slave_ = -1;  // kept open so the terminal's settings outlive the child
  pid_t pid_ = -1;
  std::string output_;
};

}  // namespace chat::test
