#include "server/server.hpp"

#include <unistd.h>
#include <filesystem>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "common/frames.hpp"
#include "common/open_file_limit.hpp"
#include "common/protocol.hpp"
#include "server/http/web_root.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/net/peer_address.hpp"
#include "server/net/tcp_transport.hpp"
#include "server/net/tls_transport.hpp"
#include "server/net/websocket_transport.hpp"
#include "server/log_throttle.hpp"
#include "server/registry/room_role.hpp"
#include "server/server_snapshot.hpp"
#include "server/storage/open_store.hpp"

namespace chat {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kStorageClass = "storage";
constexpr auto kCommitKickInterval = 50ms;

// When clustered, each drain's frames go to the other nodes through the relay, made once the pipeline is.
MessagePipeline::Options pipeline_options(const ServerConfig& config, const std::unique_ptr<ClusterRelay>& relay) {
  MessagePipeline::Options options{config.limits.dedup_window, {}};
  if (config.clustered()) {
    options.on_broadcast = [&relay](const Room& room, std::int64_t first, std::int64_t last,
                                    const std::string& lines) { relay->publish(room, first, last, lines); };
  }
  return options;
}

ThreadPoolOptions pool_options(const ServerConfig& config) {
  ThreadPoolOptions options;
  options.min_threads = config.pool.min_threads;
  options.max_threads = config.pool.max_threads;
  options.keep_alive = std::chrono::milliseconds(config.pool.keep_alive_ms);
  options.idle_spin = std::chrono::microseconds(config.pool.idle_spin_us);
  options.queue_capacity = config.pool.queue_capacity;
  // Storage is one writer; hashing is capped so that logins cannot take every worker.
  options.class_limits = {{std::string(kStorageClass), 1},
                          {std::string(kPasswordHashClass), config.pool.password_hash_threads}};
  options.thread_name_prefix = "pool";
  return options;
}

LoginGate::Options login_gate_options(const ServerConfig& config) {
  const auto& auth = config.auth;
  LoginGate::Options options;
  options.throttle.account_failures = auth.login_account_failures;
  options.throttle.address_failures = auth.login_address_failures;
  options.throttle.lockout = std::chrono::milliseconds(auth.login_lockout_ms);
  options.throttle.lockout_max = std::chrono::milliseconds(auth.login_lockout_max_ms);
  options.throttle.window = std::chrono::seconds(auth.login_failure_window_sec);
  options.throttle.max_entries = auth.throttle_max_entries;
  options.hashes_per_address = auth.hash_queue_per_address;
  return options;
}

// Storage work runs in its concurrency class: one at a time, so a recovery pass never races a flush for the
// writer. At the priority of the sends that wait on it: below them it would wait behind the very requests
// whose commit it is.
TaskOptions storage_task() {
  TaskOptions options;
  options.priority = Priority::High;
  options.concurrency_class = std::string(kStorageClass);
  return options;
}

Session::Limits session_limits(const ServerConfig& config) {
  return Session::Limits{.max_frame_bytes = config.limits.max_frame_bytes,
                         .outbound_queue_bytes = config.limits.outbound_queue_bytes,
                         .idle_timeout = std::chrono::seconds(config.server.idle_timeout_sec),
                         .login_timeout = std::chrono::seconds(config.server.login_timeout_sec),
                         .line_timeout = std::chrono::seconds(config.server.line_timeout_sec),
                         .rate_per_sec = config.limits.rate_per_sec,
                         .rate_burst = config.limits.rate_burst,
                         .rate_abuse_strikes = config.limits.rate_abuse_strikes,
                         .handshake_timeout = std::chrono::milliseconds(config.server.tls_handshake_timeout_ms)};
}

// One certificate for every TLS the server speaks: the chat TLS listener's and HTTPS (http.tls).
std::unique_ptr<TlsCredentials> make_tls_credentials(const ServerConfig& config) {
  if (!config.server.tls_port && !config.https()) return nullptr;
  auto credentials = std::make_unique<TlsCredentials>(
      TlsCredentials::Files{config.tls.cert_file, config.tls.key_file, config.tls.ca_file});
  spdlog::info("TLS certificate from {}: {}", config.tls.cert_file, credentials->description());
  return credentials;
}

std::unique_ptr<HttpListener> make_http_listener(const ServerConfig::Http& http,
                                                 std::optional<HttpListener::Tls> tls) {
  if (!http.enabled) return nullptr;
  return std::make_unique<HttpListener>(
      HttpListener::Limits{.max_connections = http.max_connections,
                           .max_connections_per_address = http.max_connections_per_ip,
                           .session = {.max_requests = http.max_requests_per_connection,
                                       .request_timeout = std::chrono::milliseconds(http.request_timeout_ms),
                                       .max_header_bytes = http.max_header_bytes}},
      std::move(tls));
}

// The browser client's files (http.web_root), read once here; null when HTTP is off or there is no client.
std::shared_ptr<const StaticFiles> load_web_client(const ServerConfig::Http& http) {
  if (!http.enabled) return nullptr;
  std::vector<std::filesystem::path> tried;
  const auto root = WebRoot::resolve(http.web_root, &tried);
  if (!root) {
    std::string where;
    for (const auto& folder : tried) where += (where.empty() ? "" : ", ") + folder.string();
    if (http.web_root.empty()) {
      spdlog::info("http: no browser client (http.web_root is \"\")");
    } else {
      spdlog::info("http: no browser client: none of {} exists (http.web_root \"auto\")", where);
    }
    return nullptr;
  }
  auto files = std::make_shared<const StaticFiles>(StaticFiles::load(*root));
  spdlog::info("http: browser client from {} ({} files, {} bytes)", root->string(), files->size(),
               files->total_bytes());
  return files;
}

// Which pages may open /ws, and which Host names /ready and /metrics answer to (DNS rebinding): one policy.
OriginPolicy origin_policy(const ServerConfig::Http& http) {
  // http.address is checked as an IP address when the configuration is read.
  return OriginPolicy(http.allowed_origins, asio::ip::make_address(http.address).is_loopback());
}

std::vector<asio::ip::address> addresses(const std::vector<std::string>& texts) {
  std::vector<asio::ip::address> list;
  for (const auto& text : texts) list.push_back(asio::ip::make_address(text));  // validate() checked them
  return list;
}

}  // namespace

Server::Server(ServerConfig config)
    : config_(std::move(config)),
      work_guard_(asio::make_work_guard(io_)),
      limiter_(config_.limits.max_connections, config_.limits.max_connections_per_ip),
      refusal_(disconnects_, session_limits(config_)),
      listener_(io_, disconnects_,
                [this](asio::ip::tcp::socket socket, std::string address) {
                  admit(std::make_unique<TcpTransport>(std::move(socket)), std::move(address));
                }),
      port_(config_.server.port ? listener_.listen(config_.server.host, *config_.server.port) : 0),
      tls_credentials_(make_tls_credentials(config_)),
      // The same limiter: the per-address and total limits count TLS connections too.
      tls_listener_(io_, disconnects_,
                    [this](asio::ip::tcp::socket socket, std::string address) {
                      admit(std::make_unique<TlsTransport>(std::move(socket), tls_credentials_->current()),
                             std::move(address));
                    }),
      tls_port_(config_.server.tls_port ? tls_listener_.listen(config_.server.host, *config_.server.tls_port) : 0),
      http_(make_http_listener(config_.http,
                               config_.https() ? std::optional(HttpListener::Tls{
                                                     tls_credentials_.get(),
                                                     [this] { return asio::any_io_executor(asio::make_strand(io_)); }})
                                               : std::nullopt)),
      http_port_(http_ ? http_->listen(config_.http.address, config_.http.port) : 0),
      store_(open_store(config_.store_options())),
      pool_(pool_options(config_)),
      bus_(pool_),
      committer_(*store_,
                 [this](std::function<void()> flush) {
                   return pool_.post([flush = std::move(flush)](std::stop_token) { flush(); }, storage_task()).ok();
                 },
                 GroupCommitter::Options{config_.storage.commit_batch_max, config_.storage.commit_backlog_max,
                                         // messages_ is built after the committer, but no batch is committed
                                         // before the server runs, and shutdown drains it before messages_ goes.
                                         [this] { messages_.after_commit_batch(); }}),
      hasher_(config_.auth.hash_ops_limit, config_.auth.hash_mem_limit_kib),
      login_gate_(login_gate_options(config_)),
      name_probes_(NameProbes::Options{config_.auth.name_probe_per_min, config_.auth.name_probe_burst,
                                       config_.auth.throttle_max_entries}),
      guest_ids_([this] { return store_->begin_run(CommandContext::now_ms()); }),
      node_(config_.clustered() ? std::make_unique<ClusterNode>(
                                      *store_->node_directory(),
                                      std::chrono::milliseconds(config_.cluster.node_timeout_ms), bus_)
                                : nullptr),
      messages_(bus_, committer_, *store_, pipeline_options(config_, relay_)),
      room_changes_(bus_, rooms_, users_, *store_),
      presence_(bus_, rooms_),
      inbox_(bus_, *store_, users_, node_.get()),
      departures_(bus_, rooms_, users_, inbox_, presence_, node_.get()),
      context_{config_, pool_, bus_, *store_, committer_, rooms_, users_, hasher_, login_gate_, name_probes_,
               guest_ids_, node_.get(), messages_, room_changes_, presence_, departures_, inbox_, disconnects_, requests_, logins_,
               [this] { return connections_by_transport(); },
               [this] { return relay_ ? std::optional(relay_->stats()) : std::nullopt; }},
      router_(context_, commands_, requests_),
      endpoints_(OperatorEndpoints::Sources{[this] { return readiness(); },
                                            [this] { return ServerSnapshot::take(context_); },
                                            [this] { return http_ ? http_->stats() : HttpStats::Snapshot{}; }},
                 addresses(config_.http.metrics_allow), load_web_client(config_.http), origin_policy(config_.http)),
      commit_kick_(io_),
      storage_retry_(io_) {
  stop_subscription_ = bus_.subscribe<StopNotice>([this](const StopNotice&) { notify_stopping(); }, Priority::Urgent);
  load_state();
  if (config_.clustered()) {
    relay_ = std::make_unique<ClusterRelay>(io_, config_.cluster, node_->id(), bus_, rooms_, *store_, messages_,
                                            room_changes_, presence_, inbox_);
    node_->set_name_lost([this](const std::string& name, PrincipalId guest) { close_guest(name, guest); });
    presence_.set_publisher([this](const Room& room, const std::string& user, bool online) {
      relay_->publish_presence(room, user, online);
    });
    room_changes_.set_publisher([this](const RoomChange& change) { relay_->publish_change(change); });
    inbox_.set_publisher([this](const DirectMessageInbox::Recipient& to, std::int64_t id, const Frame& frame) {
      relay_->publish_direct_message(to, id, frame);
    });
  }
}

Server::~Server() { shutdown(); }

// rooms.default, created when the store lacks it: from then on it is a room like any other, kept when the key
// changes. It belongs to no account, so that no name anyone registers later owns it.
void Server::create_default_room() {
  const auto name = config_.rooms.default_room_name();
  if (name.empty()) return;
  if (store_->create_room(RoomRecord{name, false, "", "", CommandContext::now_ms(), 0})) {
    spdlog::info("created the default room #{}", name);
  }
}

void Server::load_state() {
  create_default_room();
  for (const auto& record : store_->load_rooms()) {
    auto room = rooms_.create(record.name, RoomSettings{record.is_private, record.topic, record.owner});
    if (!room) continue;
    room->set_delivered_seq(record.last_seq);
  }
  for (const auto& member : store_->load_memberships()) {
    if (auto room = rooms_.find(member.room)) room->add_member(member.user, static_cast<RoomRole>(member.role));
  }
  for (const auto& invite : store_->load_invites()) {
    if (auto room = rooms_.find(invite.room)) room->invite(invite.user);
  }
  for (const auto& ban : store_->load_bans()) {
    if (auto room = rooms_.find(ban.room)) room->ban(ban.user);
  }
  // Every guest of an earlier run is gone; what still waited for one is nobody's to read. Not on a node of a
  // cluster: the other nodes' guests are alive; there what waits for the guests of nodes gone is discarded with
  // them (ClusterNode).
  if (!config_.clustered()) {
    if (const auto discarded = store_->discard_undelivered_to_guests(); discarded > 0) {
      spdlog::info("discarded {} direct messages that waited for guests of an earlier run", discarded);
    }
  }
  spdlog::info("loaded {} rooms, {} users, {} messages from {}", rooms_.size(), store_->user_count(),
               store_->message_count(), config_.storage_name());
}

std::uint16_t Server::start() {
  warn_if_descriptors_short();
  if (config_.server.port) listener_.start();
  if (config_.server.tls_port) {
    tls_listener_.refuse_silently();
    tls_listener_.start();
  }
  schedule_commit_kick();
  schedule_storage_retry();
  if (node_) node_->start();
  if (relay_) relay_->start();
  for (std::size_t i = 0; i < config_.server.io_thread_count(); ++i) {
    io_threads_.emplace_back([this, i] {
      const auto name = "io-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      io_.run();
    });
  }
  if (config_.server.port) {
    spdlog::info("listening on {}:{} ({} io threads, pool {}-{} threads)", config_.server.host, port_,
                 config_.server.io_thread_count(), config_.pool.min_threads, config_.pool.max_threads);
  } else {
    spdlog::info("plain TCP off (server.port is null); {} io threads, pool {}-{} threads", config_.server.io_thread_count(),
                 config_.pool.min_threads, config_.pool.max_threads);
  }
  if (config_.server.tls_port) {
    spdlog::info("listening for TLS on {}:{} (handshake within {} ms)", config_.server.host, tls_port_,
                 config_.server.tls_handshake_timeout_ms);
  }
  // After the chat listener, so that /ready never answers ready before chat connections are taken.
  if (http_) {
    std::shared_ptr<const WebSocketRoute> websocket;
    if (config_.http.websocket) {
      websocket = std::make_shared<WebSocketRoute>(WebSocketRoute{
          origin_policy(config_.http),
          [this](asio::ip::tcp::socket socket, HttpRequest request, asio::ip::address peer) {
            accept_websocket(std::move(socket), std::move(request), peer);
          },
          [this](HttpsStream stream, HttpRequest request, asio::ip::address peer) {
            accept_secure_websocket(std::move(stream), std::move(request), peer);
          }});
    }
    http_->start(
        [this](const HttpRequest& request, const asio::ip::address& peer) { return endpoints_.handle(request, peer); },
        std::move(websocket));
    spdlog::info("operator HTTP listening on {}:{} (/health, /ready, /metrics{}; {})", config_.http.address,
                 http_port_, config_.http.websocket ? ", WebSocket chat at /ws" : "",
                 config_.https() ? "HTTPS only, the certificate of tls.cert_file" : "plain HTTP");
  }
  return config_.server.port ? port_ : tls_port_;
}

void Server::reload_tls() {
  if (!tls_credentials_) {
    spdlog::info("reload: no TLS (server.tls_port is null and http.tls is off); nothing to reload");
    return;
  }
  try {
    tls_credentials_->reload();
    spdlog::info("reload: TLS certificate from {}: {}; new connections use it", config_.tls.cert_file,
                 tls_credentials_->description());
  } catch (const std::exception& e) {
    spdlog::error("reload: {}; keeping the certificate loaded before ({})", e.what(),
                  tls_credentials_->description());
  }
}

void Server::warn_if_descriptors_short() const {
  // Besides its sockets the server holds the database, its journal, log files
  // and the event loop's own descriptors.
  constexpr std::uint64_t kOwnDescriptors = 64;
  const auto limit = raise_open_file_limit();
  spdlog::info("open-file limit {}", limit);
  if (limit != 0 && limit < config_.limits.max_connections + kOwnDescriptors) {
    spdlog::warn("open-file limit {} is below limits.max_connections {} + {}: connections past the limit are "
                 "refused at accept",
                 limit, config_.limits.max_connections, kOwnDescriptors);
  }
}

void Server::schedule_commit_kick() {
  // A flush refused by a full pool is retried by the next append; this
  // timer retries it when no append comes.
  commit_kick_.expires_after(kCommitKickInterval);
  commit_kick_.async_wait([this](boost::system::error_code ec) {
    if (ec || shut_down_.load()) return;
    committer_.kick();
    schedule_commit_kick();
  });
}

void Server::schedule_storage_retry() {
  // While writes fail (a full disk...), the store tries to recover at this pace, whether or not anyone
  // writes: sends are refused meanwhile, so no write would ever find out that space came back.
  storage_retry_.expires_after(std::chrono::milliseconds(config_.storage.retry_interval_ms));
  storage_retry_.async_wait([this](boost::system::error_code ec) {
    if (ec || shut_down_.load()) return;
    if (store_->writes_failing() && !storage_retry_pending_.exchange(true)) {
      const bool posted = pool_
                              .post(
                                  [this](std::stop_token) {
                                    store_->recover();
                                    storage_retry_pending_ = false;
                                  },
                                  storage_task())
                              .ok();
      if (!posted) storage_retry_pending_ = false;  // a full pool: the next tick tries again
    }
    schedule_storage_retry();
  });
}

void Server::accept_websocket(asio::ip::tcp::socket socket, HttpRequest request, asio::ip::address peer) {
  // The chat listeners are closed once a shutdown begins; the HTTP listener serves /ready until the end, but
  // takes no new chat connection either (the socket closes here, unanswered).
  if (shut_down_.load()) return;
  // The HTTP listener's io_context is not the chat one: the descriptor moves, not the socket object.
  boost::system::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;  // the peer left already
  const auto native = socket.release(ec);
  if (ec) return;
  asio::ip::tcp::socket chat_socket(asio::make_strand(io_));
  chat_socket.assign(protocol, native, ec);
  if (ec) {
    ::close(native);
    return;
  }
  auto transport =
      std::make_unique<WebSocketTransport>(std::move(chat_socket), std::move(request), config_.limits.max_frame_bytes);
  admit(std::move(transport), peer.to_string());
}

void Server::accept_secure_websocket(HttpsStream stream, HttpRequest request, asio::ip::address peer) {
  // As accept_websocket; the stream's socket is on a strand of the chat io_context already.
  if (shut_down_.load()) return;
  admit(std::make_unique<SecureWebSocketTransport>(std::move(stream), std::move(request),
                                                   config_.limits.max_frame_bytes),
        peer.to_string());
}

void Server::admit(std::unique_ptr<Transport> transport, std::string address) {
  const auto id = next_connection_id_.fetch_add(1);
  const auto verdict = limiter_.try_admit(address_key(address));
  if (verdict != ConnectionLimiter::Verdict::Admitted) {
    const std::string_view reason = verdict == ConnectionLimiter::Verdict::TooManyTotal
                                        ? "too many connections"
                                        : "too many connections from your address";
    static LogThrottle throttle;
    warn_throttled(throttle, "refused a connection from {} ({}): {}", address, transport->name(), reason);
    refusal_.refuse(std::move(transport), id, std::move(address), reason);
    return;
  }
  const std::string transport_name(transport->name());
  auto session = std::make_shared<Session>(std::move(transport), id, address, session_limits(config_), *this);
  {
    std::lock_guard lock(sessions_mutex_);
    sessions_.emplace(id, session);
    ++sessions_by_transport_[transport_name];
  }
  spdlog::debug("conn={} addr={} connected over {}", id, address, transport_name);
  auto hello = event("hello");
  hello["server"] = protocol::kServerName;
  hello["version"] = protocol::kServerVersion;
  hello["protocol"] = protocol::kVersion;
  hello["max_frame_bytes"] = config_.limits.max_frame_bytes;
  hello["guests"] = config_.auth.allow_guests;
  // So that a client (the load tester's presets) can pace itself, or tell at once that it cannot.
  hello["rate_per_sec"] = config_.limits.rate_per_sec;
  hello["rate_burst"] = config_.limits.rate_burst;
  session->send(hello);
  session->start();
  if (shut_down_.load()) session->close_after(DisconnectReason::Shutdown, shutdown_event("the server is stopping"));
}

void Server::notify_stopping() {
  const auto notice = shutdown_event("the server is stopping");
  // Clients that read slowly get what is left of the shutdown's time to take their last frames, no more.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(close_deadline_.load() -
                                                                          std::chrono::steady_clock::now());
  const auto grace = std::max(left, std::chrono::milliseconds(0));
  for (const auto& session : live_sessions()) session->close_after(DisconnectReason::Shutdown, notice, grace);
}

bool Server::on_line(const SessionPtr& session, std::string_view line) { return router_.route(session, line); }

// A send handled on the reader appends to the committer: the sends of one read commit together.
void Server::begin_lines() { GroupCommitter::begin_gathering(); }
void Server::end_lines() { GroupCommitter::end_gathering(); }

void Server::on_closed(const SessionPtr& session, DisconnectReason reason) {
  disconnects_.count(reason);
  limiter_.release(session->address_key());
  {
    std::lock_guard lock(sessions_mutex_);
    sessions_.erase(session->connection_id());
    --sessions_by_transport_[std::string(session->transport_name())];
  }
  const auto identity = session->identity();
  spdlog::info("conn={} addr={} user={} disconnected: {}", session->connection_id(), session->remote_address(),
               identity ? identity->user : "-", to_string(reason));
  departures_.depart(session, /*final=*/true);
}

Readiness Server::readiness() const {
  if (shut_down_.load() || listener_.stopped() || tls_listener_.stopped()) {
    return {false, "shutting_down", "the server is stopping and no longer accepts chat connections"};
  }
  if (store_->writes_failing()) {
    return {false, "storage_failing", "storage writes are failing (" + store_->health().reason + "); sends are refused"};
  }
  return {};
}

std::size_t Server::connection_count() const {
  std::lock_guard lock(sessions_mutex_);
  return sessions_.size();
}

std::map<std::string, std::size_t> Server::connections_by_transport() const {
  // Every transport this server speaks is listed, also at 0, so that a dashboard's series never vanish.
  std::map<std::string, std::size_t> counts{{"tcp", 0}, {"tls", 0}, {"ws", 0}};
  std::lock_guard lock(sessions_mutex_);
  for (const auto& [name, count] : sessions_by_transport_) counts[name] += count;
  return counts;
}

void Server::close_guest(const std::string& name, PrincipalId guest) {
  const auto holder = users_.find(name);
  if (!holder || holder->id != guest) return;  // gone already
  const auto notice = to_frame(error_reply(
      ErrorCode::Conflict, "your guest name '" + name + "' was taken while this server was cut off from the "
                           "others; connect again and choose a name"));
  std::unordered_set<std::uint64_t> ids;
  for (const auto& participant : users_.sessions_of(name)) ids.insert(participant->connection_id());
  for (const auto& session : live_sessions()) {
    if (ids.contains(session->connection_id())) session->close_after(DisconnectReason::NameLost, notice);
  }
}

std::vector<SessionPtr> Server::live_sessions() const {
  std::vector<SessionPtr> sessions;
  std::lock_guard lock(sessions_mutex_);
  for (const auto& [id, weak] : sessions_) {
    if (auto session = weak.lock()) sessions.push_back(std::move(session));
  }
  return sessions;
}

bool Server::pool_idle() const {
  const auto stats = pool_.stats();
  return stats.running == 0 && stats.queued_total() == 0;
}

bool Server::wait_until(const std::function<bool()>& done, std::chrono::steady_clock::time_point deadline) const {
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void Server::shutdown() {
  if (shut_down_.exchange(true)) return;
  // The whole of it ends within shutdown_timeout_ms + 1 s (docs/operations.md): the work and the
  // commits get the timeout, the clients' last frames until kCloseMargin later, the threads and
  // the final checkpoint what is left.
  constexpr auto kCloseMargin = 500ms;
  constexpr auto kBound = 1s;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(config_.server.shutdown_timeout_ms);
  spdlog::info("shutting down: {} connections", connection_count());

  // 1. No new connections; every request read from now on is answered `overloaded`. The acceptor is
  // closed before anyone hears of the shutdown, so that a client told to go cannot get back in.
  listener_.stop();
  tls_listener_.stop();
  router_.refuse_all();
  if (!io_threads_.empty() &&
      !wait_until([this] { return listener_.stopped() && tls_listener_.stopped(); }, deadline)) {
    spdlog::warn("shutdown: the listener did not close in time");
  }

  // 2. Everything accepted runs to its end; its messages commit and go out.
  if (!wait_until([this] { return pool_idle(); }, deadline)) spdlog::warn("shutdown: work still running at the deadline");
  committer_.close_and_drain();
  wait_until([this] { return pool_idle(); }, deadline);

  // The last commits were published above; the other nodes repair whatever of them Redis did not take.
  if (relay_) relay_->stop();

  // 3. Tell the clients and close each once its last frames are written (or its time is up).
  const auto close_deadline = std::max(deadline, std::chrono::steady_clock::now()) + kCloseMargin;
  close_deadline_.store(close_deadline);
  if (!bus_.publish(StopNotice{}, PublishOptions{{}, Priority::Urgent, {}}).ok()) notify_stopping();
  // A session cut at its deadline reports its close a moment later.
  if (!wait_until([this] { return connection_count() == 0; }, close_deadline + 100ms)) {
    spdlog::warn("shutdown: {} connections did not close in time", connection_count());
  }
  // Only now are this node's guests gone: their names are free for the others from here.
  if (node_) node_->stop();

  // 4. Stop the threads; the database is checkpointed last, if there is time. Nothing acknowledged
  // depends on it: the WAL holds every commit and the next start copies it back. The operator's HTTP surface
  // went on answering until now, /ready with 503, so that a balancer saw the server drain.
  if (http_) http_->stop();
  pool_.shutdown();
  work_guard_.reset();
  io_.stop();
  for (auto& thread : io_threads_) {
    if (thread.joinable()) thread.join();
  }
  if (std::chrono::steady_clock::now() < deadline + kBound - 200ms) {
    try {
      store_->checkpoint();
    } catch (const std::exception& e) {
      spdlog::warn("shutdown: final checkpoint failed ({}); the write-ahead log is kept and copied back at the "
                   "next start",
                   e.what());
    }
  } else {
    spdlog::warn("shutdown: no time left for the final checkpoint; the write-ahead log is kept and copied back at "
                 "the next start");
  }
  const auto commits = committer_.stats();
  spdlog::info("stopped: {} messages committed in {} batches", commits.committed, commits.batches);
}

}  // namespace chat
