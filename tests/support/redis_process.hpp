#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace chat::test {

// A real redis-server process on a free port of 127.0.0.1, without
// persistence (no RDB snapshots, no AOF), its files in a temporary directory;
// stopped (SIGTERM, then SIGKILL) and cleaned up by the destructor, so also
// when a test fails. Used to compare chat-loadtest's Redis mode with the real
// thing.
class RedisProcess {
 public:
  // The redis-server executable on PATH, if any.
  static std::optional<std::filesystem::path> find_executable();

  // extra_args go to redis-server as they are ("--maxclients", "10").
  // Throws std::runtime_error when it does not answer PING in time.
  explicit RedisProcess(std::vector<std::string> extra_args = {});
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // Stops it (SIGTERM) and starts it again on the same port; every client connection is cut. Throws
  // std::runtime_error when it does not come back.
  void restart();
  // SIGKILL, for a test of a Redis that is gone; restart() brings it back.
  void kill();
  pid_t pid() const noexcept { return pid_; }
  std::string log() const;

 private:
  bool start(const std::filesystem::path& executable, const std::vector<std::string>& extra_args,
             std::uint16_t port = 0);
  void stop() noexcept;

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::string> extra_args_;
};

}  // namespace chat::test
