#include "server/server_config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <type_traits>

#include <boost/asio/ip/address.hpp>

#include "common/names.hpp"
#include "common/protocol.hpp"
#include "server/http/origin_policy.hpp"
#include "server/cluster/redis_url.hpp"
#include "server/storage/postgres_url.hpp"

namespace chat {
namespace {

using nlohmann::json;

// Range of a numeric key; strings may instead list their allowed values.
struct Rule {
  double min = 0;
  double max = std::numeric_limits<double>::max();
  std::vector<std::string> one_of = {};
  bool null_is_empty = false;  // a string key that JSON null turns off, as "" does
};

std::string describe(const std::vector<std::string>& values) {
  std::string text;
  for (const auto& v : values) text += (text.empty() ? "" : ", ") + v;
  return text;
}

// Keys older servers read and this one does not, with what to do instead: ignoring one silently could leave
// the operator believing it still had its effect.
const std::map<std::string, std::string> kRetiredKeys{
    {"auth.admins",
     "no longer supported: administrators are made on the host with `chat-server user set-admin NAME on` (or "
     "`chat-server user add NAME --admin`); remove the key"},
};

// Reads keys from a JSON document into a config, remembering which keys it
// knows so that anything else can be reported as unknown.
class Reader {
 public:
  explicit Reader(const json& document) : document_(document) {}

  template <class T>
  void operator()(const char* section, const char* key, T& field, const Rule& rule = {}) {
    known_[section].insert(key);
    const auto sec = document_.find(section);
    if (sec == document_.end() || !sec->is_object()) return;
    const auto value = sec->find(key);
    if (value == sec->end()) return;
    const std::string name = std::string(section) + "." + key;
    assign(name, *value, field, rule);
  }

  void reject_unknown() const {
    if (!document_.is_object()) throw ConfigError("configuration must be a JSON object");
    for (const auto& [section, body] : document_.items()) {
      const auto known = known_.find(section);
      if (known == known_.end()) throw ConfigError(section + ": unknown section");
      if (!body.is_object()) throw ConfigError(section + ": must be an object");
      for (const auto& [key, value] : body.items()) {
        const auto name = section + "." + key;
        if (const auto retired = kRetiredKeys.find(name); retired != kRetiredKeys.end()) {
          throw ConfigError(name + ": " + retired->second);
        }
        if (!known->second.contains(key)) throw ConfigError(name + ": unknown key");
      }
    }
  }

 private:
  static void assign(const std::string& name, const json& value, bool& field, const Rule&) {
    if (!value.is_boolean()) throw ConfigError(name + ": must be true or false");
    field = value.get<bool>();
  }

  static void assign(const std::string& name, const json& value, std::string& field, const Rule& rule) {
    if (rule.null_is_empty && value.is_null()) {
      field.clear();
      return;
    }
    if (!value.is_string()) {
      throw ConfigError(name + (rule.null_is_empty ? ": must be a string or null" : ": must be a string"));
    }
    auto text = value.get<std::string>();
    if (!rule.one_of.empty() && std::find(rule.one_of.begin(), rule.one_of.end(), text) == rule.one_of.end()) {
      throw ConfigError(name + ": must be one of " + describe(rule.one_of));
    }
    field = std::move(text);
  }

  static void assign(const std::string& name, const json& value, std::vector<std::string>& field, const Rule&) {
    const auto refuse = [&] { return ConfigError(name + ": must be a list of strings"); };
    if (!value.is_array()) throw refuse();
    std::vector<std::string> items;
    for (const auto& item : value) {
      if (!item.is_string()) throw refuse();
      items.push_back(item.get<std::string>());
    }
    field = std::move(items);
  }

  // A port that JSON null turns off.
  template <class T>
  static void assign(const std::string& name, const json& value, std::optional<T>& field, const Rule& rule) {
    if (value.is_null()) {
      field.reset();
      return;
    }
    T number{};
    try {
      assign(name, value, number, rule);
    } catch (const ConfigError& e) {
      throw ConfigError(e.what() + std::string(", or null"));
    }
    field = number;
  }

  template <class T>
    requires std::is_arithmetic_v<T>
  static void assign(const std::string& name, const json& value, T& field, const Rule& rule) {
    const bool integral = std::is_integral_v<T>;
    if (integral ? !value.is_number_integer() : !value.is_number()) {
      throw ConfigError(name + (integral ? ": must be an integer" : ": must be a number"));
    }
    const double number = value.get<double>();
    const double max = std::min<double>(rule.max, static_cast<double>(std::numeric_limits<T>::max()));
    if (number < rule.min || number > max || (integral && value.is_number_integer() && value.get<std::int64_t>() < 0 &&
                                              std::is_unsigned_v<T>)) {
      // Integer keys name integer bounds ("between 256 and 16777216"), as docs/operations.md quotes them.
      const auto bound = [](double value) {
        return integral ? json(static_cast<std::uint64_t>(value)).dump() : json(value).dump();
      };
      throw ConfigError(name + ": must be between " + bound(rule.min) + " and " + bound(max));
    }
    field = static_cast<T>(number);
  }

  const json& document_;
  std::map<std::string, std::set<std::string>> known_;
};

// Writes every key of a config into JSON.
class Writer {
 public:
  template <class T>
  void operator()(const char* section, const char* key, const T& field, const Rule& = {}) {
    document[section][key] = field;
  }
  template <class T>
  void operator()(const char* section, const char* key, const std::optional<T>& field, const Rule& = {}) {
    document[section][key] = field ? json(*field) : json(nullptr);
  }
  json document = json::object();
};

// The one list of configuration keys, with their rules, shared by reading and writing.
template <class Config, class Visitor>
void visit_keys(Config& c, Visitor& v) {
  const Rule port{0, 65535};
  const Rule ms{1, 24.0 * 3600 * 1000};
  v("server", "host", c.server.host);
  v("server", "port", c.server.port, port);
  v("server", "tls_port", c.server.tls_port, port);
  v("server", "tls_handshake_timeout_ms", c.server.tls_handshake_timeout_ms, Rule{100, 600000});
  v("server", "io_threads", c.server.io_threads, Rule{0, 64});
  v("server", "idle_timeout_sec", c.server.idle_timeout_sec, Rule{1, 7 * 24 * 3600});
  v("server", "login_timeout_sec", c.server.login_timeout_sec, Rule{1, 3600});
  v("server", "line_timeout_sec", c.server.line_timeout_sec, Rule{1, 3600});
  v("server", "shutdown_timeout_ms", c.server.shutdown_timeout_ms, ms);

  v("pool", "min_threads", c.pool.min_threads, Rule{1, 256});
  v("pool", "max_threads", c.pool.max_threads, Rule{1, 256});
  v("pool", "keep_alive_ms", c.pool.keep_alive_ms, Rule{0, 3600 * 1000});
  v("pool", "idle_spin_us", c.pool.idle_spin_us, Rule{0, 1000});
  v("pool", "queue_capacity", c.pool.queue_capacity, Rule{16, 1e8});
  v("pool", "password_hash_threads", c.pool.password_hash_threads, Rule{1, 64});

  v("limits", "max_frame_bytes", c.limits.max_frame_bytes, Rule{256, 16.0 * 1024 * 1024});
  v("limits", "max_message_chars", c.limits.max_message_chars, Rule{1, 1e6});
  v("limits", "max_topic_chars", c.limits.max_topic_chars, Rule{1, 1e5});
  v("limits", "max_name_length", c.limits.max_name_length, Rule{1, 64});
  v("limits", "max_connections", c.limits.max_connections, Rule{1, 1e7});
  v("limits", "max_connections_per_ip", c.limits.max_connections_per_ip, Rule{1, 1e7});
  v("limits", "outbound_queue_bytes", c.limits.outbound_queue_bytes, Rule{4096, 1e10});
  v("limits", "rate_per_sec", c.limits.rate_per_sec, Rule{0, 1e9});
  v("limits", "rate_burst", c.limits.rate_burst, Rule{1, 1e9});
  v("limits", "rate_abuse_strikes", c.limits.rate_abuse_strikes, Rule{1, 1e9});
  v("limits", "replay_max", c.limits.replay_max, Rule{0, 1e6});
  v("limits", "dedup_window", c.limits.dedup_window, Rule{0, 1e7});
  v("limits", "request_deadline_ms", c.limits.request_deadline_ms, Rule{0, 3600 * 1000});

  v("storage", "backend", c.storage.backend, Rule{0, 0, {"sqlite", "postgres"}});
  v("storage", "postgres_url", c.storage.postgres_url);
  v("storage", "path", c.storage.path);
  v("storage", "synchronous", c.storage.synchronous, Rule{0, 0, {"OFF", "NORMAL", "FULL", "EXTRA"}});
  v("storage", "commit_batch_max", c.storage.commit_batch_max, Rule{1, 1e6});
  v("storage", "commit_backlog_max", c.storage.commit_backlog_max, Rule{1, 1e7});
  v("storage", "read_connections", c.storage.read_connections, Rule{1, 64});
  v("storage", "checkpoint_pages", c.storage.checkpoint_pages, Rule{1, 1e7});
  v("storage", "wal_max_pages", c.storage.wal_max_pages, Rule{1, 1e8});
  v("storage", "check_at_start", c.storage.check_at_start, Rule{0, 0, {"quick", "full", "off"}});
  v("storage", "retry_interval_ms", c.storage.retry_interval_ms, Rule{10, 600000});

  v("cluster", "redis_url", c.cluster.redis_url, Rule{.null_is_empty = true});
  v("cluster", "channel_prefix", c.cluster.channel_prefix);
  v("cluster", "repair_interval_ms", c.cluster.repair_interval_ms, Rule{10, 600000});
  v("cluster", "node_timeout_ms", c.cluster.node_timeout_ms, Rule{300, 3600000});

  v("auth", "allow_guests", c.auth.allow_guests);
  v("auth", "password_min_length", c.auth.password_min_length, Rule{1, 1024});
  v("auth", "hash_ops_limit", c.auth.hash_ops_limit, Rule{1, 20});
  v("auth", "hash_mem_limit_kib", c.auth.hash_mem_limit_kib, Rule{8, 4.0 * 1024 * 1024});
  v("auth", "login_account_failures", c.auth.login_account_failures, Rule{1, 1000});
  v("auth", "login_address_failures", c.auth.login_address_failures, Rule{1, 1e6});
  v("auth", "login_lockout_ms", c.auth.login_lockout_ms, ms);
  v("auth", "login_lockout_max_ms", c.auth.login_lockout_max_ms, ms);
  v("auth", "login_failure_window_sec", c.auth.login_failure_window_sec, Rule{1, 7 * 24 * 3600});
  v("auth", "hash_queue_per_address", c.auth.hash_queue_per_address, Rule{1, 1e6});
  v("auth", "name_probe_burst", c.auth.name_probe_burst, Rule{1, 1e6});
  v("auth", "name_probe_per_min", c.auth.name_probe_per_min, Rule{0.01, 1e6});
  v("auth", "throttle_max_entries", c.auth.throttle_max_entries, Rule{1000, 1e8});

  v("rooms", "default", c.rooms.default_room, Rule{.null_is_empty = true});
  v("rooms", "guests_can_create", c.rooms.guests_can_create);
  v("rooms", "max_rooms", c.rooms.max_rooms, Rule{0, 1e7});
  v("rooms", "max_per_owner", c.rooms.max_per_owner, Rule{0, 1e6});

  v("http", "enabled", c.http.enabled);
  v("http", "address", c.http.address);
  v("http", "port", c.http.port, port);
  v("http", "tls", c.http.tls);
  v("http", "max_connections", c.http.max_connections, Rule{1, 1e5});
  v("http", "max_connections_per_ip", c.http.max_connections_per_ip, Rule{1, 1e5});
  v("http", "max_requests_per_connection", c.http.max_requests_per_connection, Rule{1, 1e6});
  v("http", "request_timeout_ms", c.http.request_timeout_ms, Rule{100, 3600 * 1000});
  v("http", "max_header_bytes", c.http.max_header_bytes, Rule{1024, 1024 * 1024});
  v("http", "metrics_allow", c.http.metrics_allow);
  v("http", "websocket", c.http.websocket);
  v("http", "allowed_origins", c.http.allowed_origins);

  v("tls", "cert_file", c.tls.cert_file, Rule{.null_is_empty = true});
  v("tls", "key_file", c.tls.key_file, Rule{.null_is_empty = true});
  v("tls", "ca_file", c.tls.ca_file, Rule{.null_is_empty = true});
  v("http", "web_root", c.http.web_root, Rule{.null_is_empty = true});

  v("log", "level", c.log.level, Rule{0, 0, {"trace", "debug", "info", "warn", "error", "critical", "off"}});
  v("log", "file", c.log.file);
  v("log", "file_max_bytes", c.log.file_max_bytes, Rule{4096, 1e12});
  v("log", "file_count", c.log.file_count, Rule{1, 1000});
}

bool is_ip_address(const std::string& text) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(text, ec);
  return !ec;
}

}  // namespace

std::size_t ServerConfig::Server::io_thread_count() const {
  if (io_threads != 0) return io_threads;
  // Half the cores: the pool's workers (commits, broadcasts) need the other half. On two cores one io thread
  // delivered more than two in every load-test preset (docs/benchmarks.md, "one io thread on two cores").
  return std::max<std::size_t>(1, std::thread::hardware_concurrency() / 2);
}

std::size_t ServerConfig::Limits::largest_message_event_bytes() const {
  constexpr std::size_t kEscaped = 6;       // \u00XX, the longest JSON spelling of one character
  constexpr std::size_t kFixedFields = 160;  // type, seq, ts, replay and the punctuation
  return kEscaped * (max_message_chars + protocol::kMaxClientIdLength) + 2 * max_name_length + kFixedFields;
}

std::string ServerConfig::Rooms::default_room_name() const {
  // validate() has refused a name that is not one.
  return default_room.empty() ? std::string{} : canonical_room_name(default_room, default_room.size()).value_or("");
}

ServerConfig ServerConfig::from_json(const json& document) {
  ServerConfig config;
  Reader reader(document);
  if (document.is_object()) visit_keys(config, reader);
  reader.reject_unknown();
  config.validate();
  return config;
}

ServerConfig ServerConfig::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path.string() + ": cannot open: " + std::strerror(errno));
  json document = json::parse(in, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (document.is_discarded()) throw ConfigError(path.string() + ": not valid JSON");
  return from_json(document);
}

json ServerConfig::to_json() const {
  Writer writer;
  visit_keys(*this, writer);
  return writer.document;
}

StoreOptions ServerConfig::store_options() const {
  StoreOptions options;  // the busy timeout keeps its default
  options.backend = storage.backend == "postgres" ? StoreOptions::Backend::postgres : StoreOptions::Backend::sqlite;
  options.postgres_url = storage.postgres_url;
  options.path = storage.path;
  options.synchronous = storage.synchronous;
  options.read_connections = storage.read_connections;
  options.checkpoint_pages = storage.checkpoint_pages;
  options.wal_max_pages = storage.wal_max_pages;
  // validate() has already checked the word.
  options.check_at_start = storage.check_at_start == "off"    ? StoreOptions::StartCheck::off
                           : storage.check_at_start == "full" ? StoreOptions::StartCheck::full
                                                              : StoreOptions::StartCheck::quick;
  return options;
}

std::string ServerConfig::storage_name() const {
  return storage.backend == "postgres" ? describe_postgres_database(storage.postgres_url) : storage.path;
}

void ServerConfig::validate() const {
  if (pool.min_threads > pool.max_threads) throw ConfigError("pool.min_threads: must not exceed pool.max_threads");
  if (pool.password_hash_threads > pool.max_threads) {
    throw ConfigError("pool.password_hash_threads: must not exceed pool.max_threads");
  }
  if (limits.max_connections_per_ip > limits.max_connections) {
    throw ConfigError("limits.max_connections_per_ip: must not exceed limits.max_connections");
  }
  // A reader must be able to hold one message with room to spare for what else is queued: replays, history
  // pages and direct-message backlogs each take at most half of the queue and always at least one message.
  if (const auto least = 2 * limits.largest_message_event_bytes(); limits.outbound_queue_bytes < least) {
    throw ConfigError("limits.outbound_queue_bytes: must be at least " + std::to_string(least) +
                      " (twice the largest message event that limits.max_message_chars allows)");
  }
  if (storage.path.empty()) throw ConfigError("storage.path: must not be empty");
  if (storage.backend == "postgres" && storage.postgres_url.empty()) {
    throw ConfigError("storage.postgres_url: must name the database when storage.backend is \"postgres\" "
                      "(e.g. \"postgresql://chat@127.0.0.1/chat\")");
  }
  // Not quoted: it may hold a password.
  if (!storage.postgres_url.empty() && !is_postgres_url(storage.postgres_url)) {
    throw ConfigError("storage.postgres_url: must be a libpq URI (postgresql://user@host:port/database) or "
                      "key=value string (host=... dbname=...)");
  }
  if (clustered()) {
    std::string why;
    // Not quoted: it may hold a password.
    if (!parse_redis_url(cluster.redis_url, &why)) {
      throw ConfigError("cluster.redis_url: " + why + " (redis://[[user]:password@]host[:port])");
    }
    if (storage.backend != "postgres") {
      throw ConfigError("cluster.redis_url: the nodes of a cluster share one database: set storage.backend to "
                        "\"postgres\" (and storage.postgres_url), or leave cluster.redis_url empty");
    }
  }
  if (cluster.channel_prefix.empty()) throw ConfigError("cluster.channel_prefix: must not be empty");
  if (storage.wal_max_pages < storage.checkpoint_pages) {
    throw ConfigError("storage.wal_max_pages: must not be below storage.checkpoint_pages");
  }
  if (server.host.empty()) throw ConfigError("server.host: must not be empty");
  if (!rooms.default_room.empty() && !canonical_room_name(rooms.default_room, limits.max_name_length)) {
    throw ConfigError("rooms.default: must be a room name, 1-" + std::to_string(limits.max_name_length) +
                      " characters of A-Z a-z 0-9 _ - . after an optional '#' (limits.max_name_length), or \"\" "
                      "for no default room");
  }
  // The HTTP keys are checked whether or not it is enabled, so that turning it on later cannot fail on an
  // old mistake.
  if (!is_ip_address(http.address)) {
    throw ConfigError("http.address: must be an IP address (127.0.0.1, ::1, 0.0.0.0), not '" + http.address + "'");
  }
  for (const auto& address : http.metrics_allow) {
    if (!is_ip_address(address)) {
      throw ConfigError("http.metrics_allow: must list IP addresses (127.0.0.1, ::1); '" + address + "' is not one");
    }
  }
  for (const auto& origin : http.allowed_origins) {
    if (!is_web_origin(origin)) {
      throw ConfigError("http.allowed_origins: must list origins like \"https://chat.example.org\" (scheme://host[:port], "
                        "no path); '" + origin + "' is not one");
    }
  }
  for (const auto& [name, other] : {std::pair{"server.port", server.port}, std::pair{"server.tls_port", server.tls_port}}) {
    if (http.enabled && other && http.port != 0 && http.port == *other) {
      throw ConfigError("http.port: must differ from " + std::string(name) + " (" + std::to_string(*other) + ")");
    }
  }
  if (!server.port && !server.tls_port) {
    throw ConfigError("server.port: null turns plain TCP off, and server.tls_port is null too: set either or both");
  }
  if (server.port && server.tls_port && *server.port != 0 && *server.port == *server.tls_port) {
    throw ConfigError("server.tls_port: must differ from server.port (" + std::to_string(*server.port) + ")");
  }
  // The files themselves are read at start (TlsCredentials), which names the one that is wrong and why.
  // http.tls is checked also while http.enabled is off, as the other HTTP keys are.
  for (const auto& [needed, why] : {std::pair{server.tls_port.has_value(), "server.tls_port is set"},
                                    std::pair{http.tls, "http.tls is true"}}) {
    if (!needed) continue;
    if (tls.cert_file.empty()) throw ConfigError("tls.cert_file: required when " + std::string(why));
    if (tls.key_file.empty()) throw ConfigError("tls.key_file: required when " + std::string(why));
  }
  if (auth.login_lockout_max_ms < auth.login_lockout_ms) {
    throw ConfigError("auth.login_lockout_max_ms: must not be below auth.login_lockout_ms");
  }
}

}  // namespace chat
