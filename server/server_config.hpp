#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/storage/store_options.hpp"

namespace chat {

// Every tunable of the server with its default. config.example.json holds the
// same keys and values; docs/operations.md explains each one.
struct ServerConfig {
  struct Server {
    std::string host = "127.0.0.1";
    std::optional<std::uint16_t> port = 7777;  // plain TCP; null: none
    std::optional<std::uint16_t> tls_port;     // TLS (the `tls` section); null: none
    std::uint32_t tls_handshake_timeout_ms = 10000;
    // 0: half the machine's cores, at least one (see io_thread_count); the other half runs the pool.
    std::size_t io_threads = 0;
    std::uint32_t idle_timeout_sec = 300;
    std::uint32_t login_timeout_sec = 30;
    std::uint32_t line_timeout_sec = 15;
    std::uint32_t shutdown_timeout_ms = 5000;

    // The threads that run the io_context: io_threads, or for 0 half the cores (at least one).
    std::size_t io_thread_count() const;
  } server;

  struct Pool {
    std::size_t min_threads = 2;
    std::size_t max_threads = 8;
    std::uint32_t keep_alive_ms = 30000;
    std::uint32_t idle_spin_us = 0;
    std::size_t queue_capacity = 65536;
    std::size_t password_hash_threads = 1;
  } pool;

  struct Limits {
    std::size_t max_frame_bytes = 64 * 1024;
    std::size_t max_message_chars = 4000;
    std::size_t max_topic_chars = 300;
    std::size_t max_name_length = 32;
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_ip = 1000;
    std::size_t outbound_queue_bytes = 4 * 1024 * 1024;
    double rate_per_sec = 200;  // 0 turns rate limiting off
    double rate_burst = 400;
    std::uint32_t rate_abuse_strikes = 50;
    std::size_t replay_max = 1000;
    std::size_t dedup_window = 1024;
    std::uint32_t request_deadline_ms = 10000;  // 0: requests wait in the queue as long as it takes

    // The longest `msg` or `dm` event one message can make: every character
    // of the text escaped as \u00XX (6 bytes), the longest client id the
    // same, two names and the fixed fields.
    std::size_t largest_message_event_bytes() const;
  } limits;

  struct Storage {
    std::string backend = "sqlite";  // sqlite (path) or postgres (postgres_url)
    std::string postgres_url;        // libpq URI or key=value string, e.g. postgresql://chat@db.example/chat
    std::string path = "data/chat.db";
    std::string synchronous = "NORMAL";
    std::size_t commit_batch_max = 4096;
    std::size_t commit_backlog_max = 16384;
    std::size_t read_connections = 4;
    int checkpoint_pages = 4000;
    int wal_max_pages = 16384;
    std::string check_at_start = "quick";  // quick, full or off: the integrity check before serving the file
    std::uint32_t retry_interval_ms = 1000;  // while writes fail, how often recovery is tried
  } storage;

  // Several servers ("nodes") as one: they share the PostgreSQL database (storage.backend "postgres") and pass
  // each committed message to the others through Redis publish/subscribe. Off while redis_url is empty.
  struct Cluster {
    std::string redis_url;  // redis://[[user]:password@]host[:port]; empty: this server is alone
    std::string channel_prefix = "chat:";  // every channel the nodes use begins with it (one Redis, several chats)
    // How often a node reads every room's last seq and catches up the rooms it delivered less of than the
    // database held at the previous reading (what Redis lost and no later message revealed).
    std::uint32_t repair_interval_ms = 1000;
    // A node whose heartbeat (written every third of it) is older is dead to the others: the names its guests
    // held are freed, and what waited for them is discarded.
    std::uint32_t node_timeout_ms = 15000;
  } cluster;

  struct Auth {
    bool allow_guests = true;
    std::size_t password_min_length = 8;
    std::uint64_t hash_ops_limit = 2;        // libsodium crypto_pwhash_OPSLIMIT_INTERACTIVE
    std::uint64_t hash_mem_limit_kib = 65536;  // libsodium crypto_pwhash_MEMLIMIT_INTERACTIVE
    // Failed log-ins (LoginThrottle): allowed per account and per address before a lockout that starts at
    // login_lockout_ms and doubles with each further failure up to login_lockout_max_ms; failures older than
    // the window are forgotten.
    std::uint32_t login_account_failures = 5;
    std::uint32_t login_address_failures = 20;
    std::uint32_t login_lockout_ms = 1000;
    std::uint32_t login_lockout_max_ms = 300000;
    std::uint32_t login_failure_window_sec = 900;
    // login and register requests of one address waiting for or running a password hash (LoginGate).
    std::size_t hash_queue_per_address = 4;
    // Requests that tell whether a name exists, per address (NameProbes): a bucket of this many, refilled at
    // name_probe_per_min a minute.
    std::uint32_t name_probe_burst = 20;
    double name_probe_per_min = 30;
    // Accounts and addresses the throttles remember at once, each.
    std::size_t throttle_max_entries = 100000;
  } auth;

  struct Rooms {
    // Created at start when missing, owned by no account; the terminal client joins it on login. Empty: none.
    std::string default_room = "#general";
    bool guests_can_create = false;
    // Bounds on rooms made with `create` (0: none). Rooms never go away, so without them anyone allowed to
    // create could grow the server's memory and database without end.
    std::size_t max_rooms = 10000;
    std::size_t max_per_owner = 20;

    // default_room as the server names it ("general"), or empty when there is none.
    std::string default_room_name() const;
  } rooms;

  // The operator's HTTP surface (/health, /ready, /metrics, the browser client, /ws): plain HTTP for localhost
  // or a reverse proxy, or HTTPS with the `tls` section's certificate. Off unless enabled, so that a server
  // never opens a second port its operator did not ask for.
  struct Http {
    bool enabled = false;
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;
    bool tls = false;                               // HTTPS only (and wss: at /ws), with tls.cert_file/key_file
    std::size_t max_connections = 64;               // HTTP connections at once; more are refused with 503
    // HTTP connections at once from one address, upgrades and TLS handshakes under way included: one address
    // cannot take every slot with idle connections and keep others from /ws and /ready.
    std::size_t max_connections_per_ip = 16;
    std::uint32_t max_requests_per_connection = 100;  // then the connection is closed (keep-alive cap)
    std::uint32_t request_timeout_ms = 5000;        // a request's header must arrive within this, idle or not
    std::size_t max_header_bytes = 8192;            // request line and headers; past it 431, then close
    std::vector<std::string> metrics_allow;         // addresses that may read /metrics; empty: any
    bool websocket = true;                          // GET /ws upgrades to a chat connection
    // Origins ("https://chat.example.org") whose pages may open /ws; empty: only the server's own (same
    // host[:port] as the request's Host). A request without Origin (not a browser) is always let in.
    std::vector<std::string> allowed_origins;
    // The browser client's folder, served at "/": "auto" finds it next to the executable (the build tree's
    // copy, then <prefix>/share/chat-server/web), "" serves none, anything else names the folder (WebRoot).
    std::string web_root = "auto";
  } http;

  // The certificate of the TLS listener (server.tls_port) and of HTTPS (http.tls); read at start and again on
  // SIGHUP.
  struct Tls {
    std::string cert_file;  // PEM: the certificate, optionally followed by its chain
    std::string key_file;   // PEM: its unencrypted private key
    std::string ca_file;    // PEM, optional: intermediate certificates sent after it
  } tls;

  struct Log {
    std::string level = "info";
    std::string file;  // empty: console only
    std::size_t file_max_bytes = 10 * 1024 * 1024;
    std::size_t file_count = 3;
  } log;

  // Reads a configuration from JSON. Absent keys keep their defaults; an
  // unknown key, a wrong type or an out-of-range value throws ConfigError
  // naming the key ("limits.max_frame_bytes: must be between ...").
  static ServerConfig from_json(const nlohmann::json& document);
  static ServerConfig from_file(const std::filesystem::path& path);

  // The configuration as JSON, every key present (config.example.json's shape).
  nlohmann::json to_json() const;

  // Cross-key rules (min_threads <= max_threads, ...); throws ConfigError.
  void validate() const;

  // cluster.redis_url is set: this server is a node of several.
  bool clustered() const noexcept { return !cluster.redis_url.empty(); }

  // The HTTP listener is on and speaks HTTPS.
  bool https() const noexcept { return http.enabled && http.tls; }

  // How the server, and the `user` commands, open storage.path.
  StoreOptions store_options() const;
  // The configured storage, for messages: storage.path, or the PostgreSQL database (without its password).
  std::string storage_name() const;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace chat
