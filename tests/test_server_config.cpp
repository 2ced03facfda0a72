#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "server/server_config.hpp"
#include "server/cluster/redis_url.hpp"
#include "server/storage/postgres_url.hpp"

using chat::ConfigError;
using chat::ServerConfig;
using Json = nlohmann::json;

TEST_CASE("config.example.json holds every key with its default, and turns the HTTP surface on") {
  std::ifstream in(std::string(CHAT_SOURCE_DIR) + "/config.example.json");
  REQUIRE(in.good());
  const auto example = Json::parse(in);
  // The one key the example sets apart from its default: a server started on it answers curl on 127.0.0.1:8080.
  auto defaults = ServerConfig{}.to_json();
  CHECK(defaults["http"]["enabled"] == false);
  defaults["http"]["enabled"] = true;
  CHECK(example == defaults);
  CHECK_NOTHROW(ServerConfig::from_json(example));
}

TEST_CASE("http keys: addresses, the allow list and the port are checked, naming the key") {
  const auto config = ServerConfig::from_json(
      {{"http", {{"enabled", true}, {"port", 9100}, {"metrics_allow", {"127.0.0.1", "::1"}}}}});
  CHECK(config.http.enabled);
  CHECK(config.http.port == 9100);
  CHECK(config.http.metrics_allow == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"address", "localhost"}}}}),
                       "http.address: must be an IP address (127.0.0.1, ::1, 0.0.0.0), not 'localhost'",
                       ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"metrics_allow", "127.0.0.1"}}}}),
                       "http.metrics_allow: must be a list of strings", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"metrics_allow", {"10.0.0.300"}}}}}),
                       "http.metrics_allow: must list IP addresses (127.0.0.1, ::1); '10.0.0.300' is not one",
                       ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"enabled", true}, {"port", 7777}}}}),
                       "http.port: must differ from server.port (7777)", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"max_connections", 0}}}}),
                       "http.max_connections: must be between 1 and 100000", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"request_timeout_ms", 10}}}}),
                       "http.request_timeout_ms: must be between 100 and 3600000", ConfigError);
}

TEST_CASE("WebSocket keys: http.websocket on by default, http.allowed_origins takes origins only") {
  CHECK(ServerConfig::from_json(Json::object()).http.websocket);
  CHECK(ServerConfig::from_json(Json::object()).http.allowed_origins.empty());
  const auto config = ServerConfig::from_json(
      {{"http", {{"websocket", false}, {"allowed_origins", {"https://chat.example.org", "http://127.0.0.1:8080"}}}}});
  CHECK_FALSE(config.http.websocket);
  CHECK(config.http.allowed_origins == std::vector<std::string>{"https://chat.example.org", "http://127.0.0.1:8080"});
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"allowed_origins", {"chat.example.org"}}}}}),
                       "http.allowed_origins: must list origins like \"https://chat.example.org\" "
                       "(scheme://host[:port], no path); 'chat.example.org' is not one",
                       ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"allowed_origins", {"https://chat.example.org/"}}}}}),
                       "http.allowed_origins: must list origins like \"https://chat.example.org\" "
                       "(scheme://host[:port], no path); 'https://chat.example.org/' is not one",
                       ConfigError);
}

TEST_CASE("absent keys keep their defaults; present keys are read") {
  auto config = ServerConfig::from_json({{"server", {{"port", 9000}}}, {"auth", {{"password_min_length", 12}}}});
  CHECK(config.server.port == 9000);
  CHECK(config.server.host == "127.0.0.1");
  CHECK(config.auth.password_min_length == 12);
  CHECK(config.limits.max_frame_bytes == 65536);
}

TEST_CASE("io_threads 0, the default, is half the cores and at least one; a number is taken as it is") {
  const auto automatic = ServerConfig::from_json(Json::object());
  CHECK(automatic.server.io_threads == 0);
  const std::size_t cores = std::thread::hardware_concurrency();
  CHECK(automatic.server.io_thread_count() == std::max<std::size_t>(1, cores / 2));
  CHECK(ServerConfig::from_json({{"server", {{"io_threads", 3}}}}).server.io_thread_count() == 3);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"io_threads", 65}}}}),
                       "server.io_threads: must be between 0 and 64", ConfigError);
}

TEST_CASE("unknown keys, wrong types and out-of-range values name the key") {
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"prot", 1}}}}), "server.prot: unknown key", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"srv", Json::object()}}), "srv: unknown section", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"port", "7777"}}}}), "server.port: must be an integer, or null",
                       ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"server", {{"port", 70000}}}}), ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"limits", {{"max_frame_bytes", -1}}}}), ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"log", {{"level", "loud"}}}}), ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"pool", {{"min_threads", 8}, {"max_threads", 2}}}}),
                       "pool.min_threads: must not exceed pool.max_threads", ConfigError);
  CHECK_THROWS_WITH_AS(
      ServerConfig::from_json({{"storage", {{"checkpoint_pages", 2000}, {"wal_max_pages", 1000}}}}),
      "storage.wal_max_pages: must not be below storage.checkpoint_pages", ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"storage", {{"checkpoint_pages", 0}}}}), ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"storage", {{"check_at_start", "fast"}}}}),
                       "storage.check_at_start: must be one of quick, full, off", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"storage", {{"retry_interval_ms", 5}}}}),
                       "storage.retry_interval_ms: must be between 10 and 600000", ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json(Json::array()), ConfigError);
}

TEST_CASE("AdminNameSquatting: auth.admins, which gave a name's rights to whoever registered it, is refused") {
  try {
    ServerConfig::from_json({{"auth", {{"admins", {"root"}}}}});
    FAIL("accepted auth.admins");
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    CHECK(message.starts_with("auth.admins: no longer supported"));
    CHECK(message.find("chat-server user set-admin") != std::string::npos);
  }
}

TEST_CASE("an outbound queue too small for the largest message is refused, naming the key") {
  const auto largest = ServerConfig{}.limits.largest_message_event_bytes();
  CHECK(largest >= 6 * 4000);
  CHECK_NOTHROW(ServerConfig::from_json({{"limits", {{"outbound_queue_bytes", 2 * largest}}}}));
  try {
    ServerConfig::from_json({{"limits", {{"outbound_queue_bytes", 2 * largest - 1}}}});
    FAIL("accepted an outbound queue that one message could fill");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).starts_with("limits.outbound_queue_bytes: must be at least"));
  }
  // Smaller messages make a smaller queue possible.
  CHECK_NOTHROW(ServerConfig::from_json({{"limits", {{"outbound_queue_bytes", 16384}, {"max_message_chars", 1000}}}}));
}

TEST_CASE("rooms.default: a room name with or without '#', \"\" or null for none; anything else names the key") {
  CHECK(ServerConfig{}.rooms.default_room_name() == "general");
  CHECK(ServerConfig::from_json({{"rooms", {{"default", "Lobby"}}}}).rooms.default_room_name() == "lobby");
  CHECK(ServerConfig::from_json({{"rooms", {{"default", ""}}}}).rooms.default_room_name().empty());
  CHECK(ServerConfig::from_json({{"rooms", {{"default", nullptr}}}}).rooms.default_room_name().empty());
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"rooms", {{"default", "#no spaces"}}}}),
                       "rooms.default: must be a room name, 1-32 characters of A-Z a-z 0-9 _ - . after an optional "
                       "'#' (limits.max_name_length), or \"\" for no default room",
                       ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json(
                      {{"rooms", {{"default", "#a-long-room-name"}}}, {"limits", {{"max_name_length", 8}}}}),
                  ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"rooms", {{"default", 1}}}}),
                       "rooms.default: must be a string or null", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"rooms", {{"guests_can_create", "yes"}}}}),
                       "rooms.guests_can_create: must be true or false", ConfigError);
  CHECK(ServerConfig::from_json({{"rooms", {{"guests_can_create", true}}}}).rooms.guests_can_create);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"rooms", {{"max_rooms", -1}}}}),
                       "rooms.max_rooms: must be between 0 and 10000000", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"rooms", {{"max_per_owner", "20"}}}}),
                       "rooms.max_per_owner: must be an integer", ConfigError);
  CHECK(ServerConfig::from_json({{"rooms", {{"max_per_owner", 0}}}}).rooms.max_per_owner == 0);
}

TEST_CASE("listeners: plain TCP may be turned off with null, TLS needs its files, and one of the two must be on") {
  const auto tls_only = ServerConfig::from_json(
      {{"server", {{"port", nullptr}, {"tls_port", 7778}}}, {"tls", {{"cert_file", "c.pem"}, {"key_file", "k.pem"}}}});
  CHECK_FALSE(tls_only.server.port.has_value());
  CHECK(tls_only.server.tls_port == 7778);
  CHECK(tls_only.server.tls_handshake_timeout_ms == 10000);
  CHECK(tls_only.to_json()["server"]["port"].is_null());
  CHECK(ServerConfig::from_json(tls_only.to_json()).server.tls_port == 7778);
  CHECK_FALSE(ServerConfig{}.server.tls_port.has_value());

  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"port", nullptr}}}}),
                       "server.port: null turns plain TCP off, and server.tls_port is null too: set either or both",
                       ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"tls_port", 7778}}}}),
                       "tls.cert_file: required when server.tls_port is set", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"tls_port", 7778}}}, {"tls", {{"cert_file", "c.pem"}}}}),
                       "tls.key_file: required when server.tls_port is set", ConfigError);
  CHECK_THROWS_WITH_AS(
      ServerConfig::from_json(
          {{"server", {{"tls_port", 7777}}}, {"tls", {{"cert_file", "c.pem"}, {"key_file", "k.pem"}}}}),
      "server.tls_port: must differ from server.port (7777)", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"tls_port", "7778"}}}}),
                       "server.tls_port: must be an integer, or null", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"tls_handshake_timeout_ms", 10}}}}),
                       "server.tls_handshake_timeout_ms: must be between 100 and 600000", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"server", {{"tls_port", 8080}}},
                                                {"tls", {{"cert_file", "c.pem"}, {"key_file", "k.pem"}}},
                                                {"http", {{"enabled", true}}}}),
                       "http.port: must differ from server.tls_port (8080)", ConfigError);
}

TEST_CASE("https: http.tls takes the tls section's certificate, and stops start-up without it, naming the keys") {
  CHECK_FALSE(ServerConfig{}.http.tls);
  CHECK_FALSE(ServerConfig{}.https());
  const Json files{{"cert_file", "c.pem"}, {"key_file", "k.pem"}};
  const auto https = ServerConfig::from_json({{"http", {{"enabled", true}, {"tls", true}}}, {"tls", files}});
  CHECK(https.https());
  CHECK_FALSE(https.server.tls_port.has_value());  // HTTPS alone; the chat TLS listener stays off
  CHECK(ServerConfig::from_json(https.to_json()).https());
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"enabled", true}, {"tls", true}}}}),
                       "tls.cert_file: required when http.tls is true", ConfigError);
  CHECK_THROWS_WITH_AS(
      ServerConfig::from_json({{"http", {{"enabled", true}, {"tls", true}}}, {"tls", {{"cert_file", "c.pem"}}}}),
      "tls.key_file: required when http.tls is true", ConfigError);
  // Checked while http.enabled is off too, as every HTTP key, so that turning it on cannot fail later.
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"tls", true}}}}),
                       "tls.cert_file: required when http.tls is true", ConfigError);
  CHECK_FALSE(ServerConfig::from_json({{"http", {{"tls", true}}}, {"tls", files}}).https());
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"tls", "yes"}}}}), "http.tls: must be true or false",
                       ConfigError);
}

TEST_CASE("http.max_connections_per_ip: 16 by default, a count of at least 1") {
  CHECK(ServerConfig{}.http.max_connections_per_ip == 16);
  CHECK(ServerConfig::from_json({{"http", {{"max_connections_per_ip", 4}}}}).http.max_connections_per_ip == 4);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"max_connections_per_ip", 0}}}}),
                       "http.max_connections_per_ip: must be between 1 and 100000", ConfigError);
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"http", {{"max_connections_per_ip", -1}}}}),
                       "http.max_connections_per_ip: must be between 1 and 100000", ConfigError);
  // Above http.max_connections it is allowed, and simply never reached first.
  CHECK_NOTHROW(ServerConfig::from_json({{"http", {{"max_connections", 4}}}}));
}

TEST_CASE("storage.backend: sqlite by default; postgres needs postgres_url; the store options follow") {
  const auto defaults = ServerConfig::from_json(Json::object());
  CHECK(defaults.storage.backend == "sqlite");
  CHECK(defaults.store_options().backend == chat::StoreOptions::Backend::sqlite);
  const auto postgres = ServerConfig::from_json(
      {{"storage", {{"backend", "postgres"}, {"postgres_url", "postgresql://chat@db.example/chat"}}}});
  CHECK(postgres.store_options().backend == chat::StoreOptions::Backend::postgres);
  CHECK(postgres.store_options().postgres_url == "postgresql://chat@db.example/chat");
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"storage", {{"backend", "postgres"}}}}),
                       "storage.postgres_url: must name the database when storage.backend is \"postgres\" "
                       "(e.g. \"postgresql://chat@127.0.0.1/chat\")",
                       ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"storage", {{"backend", "mysql"}}}}), ConfigError);
  // A url libpq cannot parse is a configuration error, and its text (it may hold a password) is not quoted.
  CHECK_THROWS_WITH_AS(
      ServerConfig::from_json({{"storage", {{"backend", "postgres"}, {"postgres_url", "postgresql://u:p%zz@h/d"}}}}),
      "storage.postgres_url: must be a libpq URI (postgresql://user@host:port/database) or key=value string "
      "(host=... dbname=...)",
      ConfigError);
}

TEST_CASE("a PostgreSQL url is shown without its password") {
  CHECK(chat::redacted_postgres_url("postgresql://chat:s3cret@db.example:5432/chat") ==
        "postgresql://chat:***@db.example:5432/chat");
  CHECK(chat::redacted_postgres_url("postgresql://chat@db.example/chat") == "postgresql://chat@db.example/chat");
  CHECK(chat::redacted_postgres_url("host=db dbname=chat password=s3cret user=chat") ==
        "host=db dbname=chat password=*** user=chat");
  CHECK(chat::redacted_postgres_url("host=db password='s3 cret' dbname=chat") == "host=db password=*** dbname=chat");
  CHECK(chat::redacted_postgres_url("postgresql://u:p%zz@h/d") == "(an unreadable url)");
}

TEST_CASE("cluster.redis_url: off by default; needs the postgres backend; an unreadable url is refused unquoted") {
  CHECK_FALSE(ServerConfig{}.clustered());
  const Json postgres = {{"backend", "postgres"}, {"postgres_url", "postgresql://chat@db.example/chat"}};
  const auto node = ServerConfig::from_json(
      {{"storage", postgres}, {"cluster", {{"redis_url", "redis://:s3cret@10.0.0.5:6380"}}}});
  CHECK(node.clustered());
  CHECK_THROWS_WITH_AS(ServerConfig::from_json({{"cluster", {{"redis_url", "redis://127.0.0.1"}}}}),
                       "cluster.redis_url: the nodes of a cluster share one database: set storage.backend to "
                       "\"postgres\" (and storage.postgres_url), or leave cluster.redis_url empty",
                       chat::ConfigError);
  try {
    ServerConfig::from_json({{"storage", postgres}, {"cluster", {{"redis_url", "redis://:s3cret@10.0.0.5:99999"}}}});
    FAIL("accepted");
  } catch (const chat::ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "cluster.redis_url: the port must be a number from 1 to 65535 (redis://[[user]:password@]host[:port])");
  }
  CHECK_THROWS_AS(ServerConfig::from_json({{"storage", postgres}, {"cluster", {{"channel_prefix", ""}}}}),
                  chat::ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"cluster", {{"repair_interval_ms", 5}}}}), chat::ConfigError);
  CHECK_THROWS_AS(ServerConfig::from_json({{"cluster", {{"node_timeout_ms", 100}}}}), chat::ConfigError);
  CHECK(ServerConfig::from_json({{"cluster", {{"node_timeout_ms", 300}}}}).cluster.node_timeout_ms == 300);
  CHECK(chat::redacted_redis_url("redis://chat:s3cret@h:6379/0") == "redis://chat:***@h:6379/0");
  CHECK(chat::redacted_redis_url("redis://:s3cret@h") == "redis://:***@h");
  CHECK(chat::redacted_redis_url("redis://s3cret@h") == "redis://***@h");
  CHECK(chat::redacted_redis_url("redis://h:6379") == "redis://h:6379");
  CHECK(chat::redacted_redis_url("") == "");
}
