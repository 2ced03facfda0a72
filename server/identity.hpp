#pragma once

#include <string>

namespace chat {

// Who a connection is logged in as.
struct Identity {
  std::string user;  // canonical (lowercase) name
  bool guest = false;
  bool admin = false;
};

}  // namespace chat
