#pragma once

#include <cstdint>
#include <optional>

namespace chat::loadtest {

// The server's resident memory, CPU time and sockets, read from /proc/<pid>.
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
  // The sockets among the server's descriptors (/proc/<pid>/fd): its
  // listener and one per connection. Files are left out: the database opens
  // its WAL lazily, per reader connection, which is no leak. nullopt when
  // disabled or unreadable.
  std::optional<std::uint64_t> sockets() const;

 private:
  int pid_;
};

}  // namespace chat::loadtest
