#include "server/messaging/storage_refusal.hpp"

namespace chat {

std::string storage_refusal(const StorageHealth::Snapshot& health) {
  return "storage is failing (" + (health.reason.empty() ? std::string("unknown error") : health.reason) +
         "); nothing was stored, retry later";
}

}  // namespace chat
