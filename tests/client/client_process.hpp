#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace chat::test {

// The real chat-client binary run as a child process: stdin from a file,
// stdout and stderr to files, so a test can read them while it runs.
class ClientProcess {
 public:
  // Runs `chat-client args...` with `script` as its stdin (a regular file).
  ClientProcess(std::vector<std::string> args, std::string_view script);
  ~ClientProcess();  // kills it if still running
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  std::string out() const;
  std::string err() const;

  // Polls stdout and stderr until one contains `text`; false at the limit.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds limit = std::chrono::seconds(20)) const;

  // Waits for the exit and returns its status; -1 if it had to be killed at the limit.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(60));

  void signal(int signal) const;
  pid_t pid() const noexcept { return pid_; }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int status_ = -1;
};

// How often `needle` occurs in `haystack`.
std::size_t count(std::string_view haystack, std::string_view needle);

// A loopback port that was free a moment ago, for a server that must come
// back on the same port after a restart.
std::uint16_t free_port();

// Writes `text` to a new file in a fresh temporary directory, mode 0600.
std::filesystem::path temp_file(std::string_view name, std::string_view text);

}  // namespace chat::test
