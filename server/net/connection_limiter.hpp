#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace chat {

// Admission control for new connections: a total limit and a per-address
// limit. Thread-safe.
class ConnectionLimiter {
 public:
  enum class Verdict { Admitted, TooManyTotal, TooManyFromAddress };

  ConnectionLimiter(std::size_t max_total, std::size_t max_per_address);

  // Counts the connection in when it is admitted; pair with release().
  Verdict try_admit(const std::string& address);
  void release(const std::string& address);
  std::size_t active() const;

 private:
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace chat
