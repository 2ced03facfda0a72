#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "server/cluster/cluster_node.hpp"
#include "server/cluster/cluster_relay.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "server/messaging/direct_message_inbox.hpp"
#include "server/dispatch/request_counters.hpp"
#include "server/net/disconnect_reason.hpp"
#include "server/auth/guest_ids.hpp"
#include "server/auth/login_counters.hpp"
#include "server/auth/login_gate.hpp"
#include "server/auth/name_probes.hpp"
#include "server/messaging/message_pipeline.hpp"
#include "server/messaging/room_changes.hpp"
#include "server/messaging/room_presence.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/registry/room_registry.hpp"
#include "server/registry/user_registry.hpp"
#include "server/server_config.hpp"
#include "server/session_departure.hpp"
#include "server/storage/group_committer.hpp"
#include "server/storage/store.hpp"

namespace chat {

// The parts of the server a command handler works with. Owned by Server;
// every member outlives the handlers.
struct ServerContext {
  const ServerConfig& config;
  ThreadPool& pool;
  EventBus& bus;
  Store& store;
  GroupCommitter& committer;
  RoomRegistry& rooms;
  UserRegistry& users;
  PasswordHasher& hasher;
  LoginGate& login_gate;
  NameProbes& name_probes;
  GuestIds& guest_ids;
  ClusterNode* cluster_node;  // a node of a cluster only
  MessagePipeline& messages;
  RoomChanges& room_changes;
  RoomPresence& presence;
  SessionDeparture& departures;
  DirectMessageInbox& inbox;
  const DisconnectCounters& disconnects;
  const RequestCounters& requests;
  LoginCounters& logins;
  // Chat connections open now, by transport name ("tcp", "ws").
  std::function<std::map<std::string, std::size_t>()> connections_by_transport;
  // This node's share of a cluster; nullopt on a server alone.
  std::function<std::optional<ClusterRelay::Stats>()> cluster_stats;
};

}  // namespace chat
