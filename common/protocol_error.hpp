#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "common/error_code.hpp"

namespace chat {

// A request that cannot be carried out, with the code the client will see.
// Thrown by request parsing and by command handlers; caught once, where the
// reply is written. A refusal that knows when a retry can succeed carries
// that wait (the reply's "retry_after_ms").
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorCode code, const std::string& message,
                std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
      : std::runtime_error(message), code_(code), retry_after_(retry_after) {}
  ErrorCode code() const noexcept { return code_; }
  std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

 private:
  ErrorCode code_;
  std::optional<std::chrono::milliseconds> retry_after_;
};

}  // namespace chat
