#pragma once

#include <stdexcept>
#include <string>

#include "common/error_code.hpp"

namespace chat {

// A request that cannot be carried out, with the code the client will see.
// Thrown by request parsing and by command handlers; caught once, where the
// reply is written.
class ProtocolError : public std::runtime_error {
 public:
  ProtocolError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace chat
