#pragma once

#include <string>

namespace chat {

// Whether the server should be sent traffic (/ready): it accepts chat connections and its storage takes
// writes. `reason` is a stable word for machines (shutting_down, storage_failing), `detail` words for people.
struct Readiness {
  bool ready = true;
  std::string reason;
  std::string detail;
};

}  // namespace chat
