#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/loopback_socket.hpp"  // free_port

namespace chat::test {

// The real chat-client binary run as a child process: stdin from a file,
// stdout and stderr to files, so a test can read them while it runs.
class ClientProcess {
 public:
  // Where the script comes from: a regular file, or a pipe that stays open
  // (like `tail -f`) until close_input().
  enum class Input { File, Pipe };

  // Runs `chat-client args...` with `script` as its stdin. Its environment
  // is the test's, plus `env` ("NAME=value"), and XDG_CONFIG_HOME is an
  // empty directory unless `env` says otherwise: no config file of the
  // person running the tests is read.
  ClientProcess(std::vector<std::string> args, std::string_view script, Input input = Input::File,
                std::vector<std::string> env = {});
  ~ClientProcess();  // kills it if still running
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  std::string out() const;
  std::string err() const;

  // Polls stdout and stderr until one contains `text`; false at the limit.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds limit = std::chrono::seconds(20)) const;

  // Waits for the exit and returns its status; -1 if it had to be killed at the limit.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60));

  // With Input::Pipe: more lines, and the end of the input.
  void feed(std::string_view text) const;
  void close_input();

  void signal(int signal) const;
  pid_t pid() const noexcept { return pid_; }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int status_ = -1;
  int pipe_ = -1;  // the writing end of the script pipe
};

// How often `needle` occurs in `haystack`.
std::size_t count(std::string_view haystack, std::string_view needle);

// Writes `text` to a new file in a fresh temporary directory, mode 0600.
std::filesystem::path temp_file(std::string_view name, std::string_view text);

}  // namespace chat::test
