#pragma once

#include <cstdint>
#include <string>

namespace chat {

// Who a connection is logged in as. The principal `id` is who they are
// (PrincipalId, server/storage/records.hpp: an account's users.id, or a
// guest's own negative id); `user` is only the name they go by now, which a
// guest gives up when it leaves.
struct Identity {
  std::int64_t id = 0;
  std::string user;  // canonical (lowercase) name
  bool guest = false;
  bool admin = false;
};

}  // namespace chat
