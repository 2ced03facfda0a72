#pragma once

#include <cstdint>
#include <optional>

namespace chat::loadtest {

// The server's resident memory and CPU time, read from /proc/<pid>.
struct ServerSample {
  std::uint64_t rss_kb = 0;
  double cpu_s = 0;  // user + system
};

class ServerProbe {
 public:
  explicit ServerProbe(int pid) noexcept : pid_(pid) {}
  bool enabled() const noexcept { return pid_ > 0; }
  int pid() const noexcept { return pid_; }
  // nullopt when disabled or the process is gone.
  std::optional<ServerSample> sample() const;

 private:
  int pid_;
};

}  // namespace chat::loadtest
