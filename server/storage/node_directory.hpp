#pragma once
// What the servers sharing one database know of each other (cluster.*): which nodes are alive, and which
// names their guests hold.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/records.hpp"

namespace chat {

// A guest exists only while it is online, so on one server its name lives in memory (UserRegistry). Nodes
// sharing a database must agree on it, or a guest "carol" on one node and another guest "carol" — or an
// account "carol" made meanwhile — on another would each be addressed as "carol". The directory holds every
// node's guests' names; a name is claimed before the guest is let in and released when it leaves. A claim and
// an account's creation of one name exclude each other (Store::create_user checks the directory atomically).
//
// A node that dies keeps its claims until the others see its heartbeat stale: expire_nodes() then removes the
// node with them. Times are the database's clock, never a node's: the nodes' clocks need not agree.
//
// Thread-safe; failures throw StorageError, as the Store's do. The directory has a database connection of its
// own: a heartbeat never waits behind the store's writes.
class NodeDirectory {
 public:
  virtual ~NodeDirectory() = default;

  // Records `node` alive now. False when it was not listed: new, or declared dead meanwhile (its claims gone).
  virtual bool heartbeat(std::string_view node) = 0;
  // Removes every node but `self` silent for longer than `timeout` with its claims, and any claim of a node not
  // listed; then discards the direct messages that wait for a guest that holds no name any more (nobody can
  // ever read them). Returns the nodes removed.
  virtual std::vector<std::string> expire_nodes(std::string_view self, std::chrono::milliseconds timeout) = 0;
  // Removes the node and its claims (it stops).
  virtual void leave(std::string_view node) = 0;

  // Claims `name` for the guest `principal` of `node`, listing the node alive if it is not (a claim of a node
  // not listed would be swept away). False: an account, or another guest, holds it.
  virtual bool claim_guest_name(std::string_view name, std::string_view node, PrincipalId principal) = 0;
  // Releases the guest's claim; nothing if it holds none.
  virtual void release_guest_name(std::string_view name, PrincipalId principal) = 0;
  // The guest holding `name` on any node, if one does.
  virtual std::optional<PrincipalId> guest_named(std::string_view name) const = 0;
  // The guests `node` holds names for, by name.
  virtual std::vector<std::pair<std::string, PrincipalId>> guests_of(std::string_view node) const = 0;
};

}  // namespace chat
