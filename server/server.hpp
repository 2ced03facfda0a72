#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>

#include "server/cluster/cluster_node.hpp"
#include "server/cluster/cluster_relay.hpp"
#include "server/dispatch/command_table.hpp"
#include "server/concurrency/event_bus.hpp"
#include "server/concurrency/thread_pool.hpp"
#include "server/net/connection_limiter.hpp"
#include "server/net/connection_refusal.hpp"
#include "server/messaging/direct_message_inbox.hpp"
#include "server/net/disconnect_reason.hpp"
#include "server/auth/guest_ids.hpp"
#include "server/http/http_listener.hpp"
#include "server/http/operator_endpoints.hpp"
#include "server/http/readiness.hpp"
#include "server/net/https_stream.hpp"
#include "server/net/listener.hpp"
#include "server/net/tls_credentials.hpp"
#include "server/net/transport.hpp"
#include "server/auth/login_gate.hpp"
#include "server/auth/name_probes.hpp"
#include "server/messaging/message_pipeline.hpp"
#include "server/messaging/room_changes.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/registry/room_registry.hpp"
#include "server/registry/user_registry.hpp"
#include "server/dispatch/request_router.hpp"
#include "server/server_config.hpp"
#include "server/server_context.hpp"
#include "server/net/session.hpp"
#include "server/session_departure.hpp"
#include "server/storage/group_committer.hpp"
#include "server/storage/store.hpp"

namespace chat {

// The whole chat server: storage, pool, bus, registries, listener and the
// io threads. Construction opens the database and loads the state;
// start() listens; shutdown() stops it gracefully. Members are declared in
// dependency order, so destruction runs in reverse.
class Server final : public SessionHost {
 public:
  explicit Server(ServerConfig config);
  ~Server() override;

  // Listens and starts the io threads; returns the bound plain TCP port, or the TLS port when plain TCP is off.
  std::uint16_t start();

  // SIGHUP: reads the TLS certificate and key again (the chat TLS port's and HTTPS's). New connections use the
  // new pair, open ones keep theirs; on failure the error is logged and the old pair stays. Safe from any thread.
  void reload_tls();

  // Stops accepting and reading, lets every accepted request finish and its
  // messages commit, tells the clients, closes them and stops the threads.
  // Bounded by server.shutdown_timeout_ms. Idempotent.
  void shutdown();

  // SessionHost
  bool on_line(const SessionPtr& session, std::string_view line) override;
  void begin_lines() override;
  void end_lines() override;
  void on_closed(const SessionPtr& session, DisconnectReason reason) override;

  std::size_t connection_count() const;

  // Ready while the chat listener accepts and storage takes writes (/ready). Safe from any thread.
  Readiness readiness() const;
  // The operator HTTP port, or 0 when http.enabled is off.
  std::uint16_t http_port() const noexcept { return http_port_; }

 private:
  void load_state();
  void create_default_room();
  // The one admission path of every transport: the connection limits (a refused connection is told and
  // closed: ConnectionRefusal), the hello, a Session. Safe from any thread; the transport is on its strand.
  void admit(std::unique_ptr<Transport> transport, std::string address);
  // GET /ws passed its checks (on the HTTP thread): the socket moves to a strand of the chat io_context.
  void accept_websocket(boost::asio::ip::tcp::socket socket, HttpRequest request, boost::asio::ip::address peer);
  // The same over HTTPS (http.tls): the TLS stream, whose socket is on a strand of the chat io_context.
  void accept_secure_websocket(HttpsStream stream, HttpRequest request, boost::asio::ip::address peer);
  std::map<std::string, std::size_t> connections_by_transport() const;
  bool wait_until(const std::function<bool()>& done, std::chrono::steady_clock::time_point deadline) const;
  bool pool_idle() const;
  std::vector<SessionPtr> live_sessions() const;
  // ClusterNode's name_lost: closes the connections of a guest whose name another holds now.
  void close_guest(const std::string& name, PrincipalId guest);
  // Raises the open-file limit and warns when it cannot hold max_connections.
  void warn_if_descriptors_short() const;
  void schedule_commit_kick();
  // Every storage.retry_interval_ms: while writes fail, one recovery pass on the pool (Store::recover).
  void schedule_storage_retry();
  // Tells every connection that the server stops and closes it after its last frames.
  struct StopNotice {};
  void notify_stopping();

  const ServerConfig config_;
  boost::asio::io_context io_;
  std::vector<std::thread> io_threads_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_guard_;

  // The port is bound before anything else: a port in use stops start-up before the database is opened
  // and loaded, which may take seconds. Nothing is accepted before start().
  DisconnectCounters disconnects_;
  RequestCounters requests_;
  LoginCounters logins_;
  ConnectionLimiter limiter_;
  ConnectionRefusal refusal_;
  Listener listener_;  // plain TCP; never opened when server.port is null
  const std::uint16_t port_;
  // TLS (server.tls_port, and HTTPS with http.tls): the certificate is read before the ports are bound, so a bad
  // file stops start-up as early. Null when neither is on; the chat TLS listener is opened only with tls_port.
  std::unique_ptr<TlsCredentials> tls_credentials_;
  Listener tls_listener_;
  const std::uint16_t tls_port_;
  // The operator's HTTP surface (http.*), bound here like the chat port and for the same reason; served from
  // start() on its own thread. Null when http.enabled is off.
  std::unique_ptr<HttpListener> http_;
  std::uint16_t http_port_ = 0;

  std::unique_ptr<Store> store_;  // SQLite or PostgreSQL (open_store)
  ThreadPool pool_;
  EventBus bus_;
  GroupCommitter committer_;
  RoomRegistry rooms_;
  UserRegistry users_;
  PasswordHasher hasher_;
  LoginGate login_gate_;
  NameProbes name_probes_;
  GuestIds guest_ids_;
  std::unique_ptr<ClusterNode> node_;  // a node of a cluster only (cluster.redis_url)
  // Set after construction, when clustered; the pipeline's drains publish through it from start() on.
  std::unique_ptr<ClusterRelay> relay_;
  MessagePipeline messages_;
  RoomChanges room_changes_;
  RoomPresence presence_;
  DirectMessageInbox inbox_;
  SessionDeparture departures_;
  ServerContext context_;
  CommandTable commands_;
  RequestRouter router_;
  OperatorEndpoints endpoints_;
  boost::asio::steady_timer commit_kick_;
  boost::asio::steady_timer storage_retry_;
  std::atomic<bool> storage_retry_pending_{false};  // a recovery pass is queued or running
  Subscription stop_subscription_;

  mutable std::mutex sessions_mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
  std::map<std::string, std::size_t> sessions_by_transport_;  // sessions_mutex_
  std::atomic<std::uint64_t> next_connection_id_{1};
  std::atomic<bool> shut_down_{false};
  // Until when clients told of the shutdown may take their last frames.
  std::atomic<std::chrono::steady_clock::time_point> close_deadline_{};
};

}  // namespace chat
