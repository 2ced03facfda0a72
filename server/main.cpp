// chat-server: reads its configuration, serves until SIGINT/SIGTERM (SIGHUP reloads the TLS certificate), then
// shuts down gracefully and exits 0. `chat-server user ...` instead manages
// the accounts in the configured database and `chat-server backup FILE`
// copies it; both exit when done.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "common/protocol.hpp"
#include "server/logging.hpp"
#include "server/server.hpp"
#include "server/storage/database_backup.hpp"
#include "server/cluster/redis_url.hpp"
#include "server/storage/postgres_url.hpp"
#include "server/storage/sqlite_to_postgres.hpp"
#include "server/storage/store_options.hpp"
#include "server/user_command.hpp"

namespace {

// Blocks the stop signals and SIGHUP (reload) in every thread, then waits for one on this thread.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    // A peer that closes while we write must give EPIPE, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
  }
  int wait() const {
    int signal = 0;
    sigwait(&set_, &signal);
    return signal;
  }

 private:
  sigset_t set_{};
};

// Writes the port to `path` through a temporary file, so that a reader never sees half of it. Throws
// std::runtime_error naming the file: a script waiting for it would otherwise wait forever.
void write_ready_file(const std::string& path, std::uint16_t port) {
  const std::string temporary = path + ".tmp";
  std::ofstream out(temporary);
  if (out) out << port << '\n';
  out.close();
  if (!out) throw std::runtime_error("cannot write the ready file '" + path + "': " + std::strerror(errno));
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw std::runtime_error("cannot write the ready file '" + path + "': " + ec.message());
}

// Serves until SIGINT or SIGTERM; the exit code. A failure is logged at critical and gives 1, once the
// server's destructor has run: every accepted message is committed by then, or was answered as failed.
int serve(const chat::ServerConfig& config, const std::string& ready_file) {
  StopSignals signals;
  chat::configure_logging(config.log);
  try {
    chat::Server server(config);
    const auto bound_port = server.start();
    if (!ready_file.empty()) write_ready_file(ready_file, bound_port);
    int signal = signals.wait();
    for (; signal == SIGHUP; signal = signals.wait()) {
      spdlog::info("received SIGHUP: reloading the TLS certificate");
      server.reload_tls();
    }
    spdlog::info("received {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
    server.shutdown();
  } catch (const std::exception& e) {
    spdlog::critical("chat-server failed: {}", e.what());
    return 1;
  } catch (...) {
    spdlog::critical("chat-server failed: an unknown exception");
    return 1;
  }
  spdlog::info("bye");
  return 0;
}

// chat-server backup FILE: an online copy of the configured database; the exit code.
int backup(const chat::ServerConfig& config, const std::string& target) {
  if (config.storage.backend == "postgres") {
    std::cerr << "chat-server: backup copies a SQLite database; storage.backend is \"postgres\": back it up with "
                 "PostgreSQL's tools (pg_dump, or continuous archiving)\n";
    return 2;
  }
  try {
    const auto result =
        chat::backup_database(config.storage.path, target, chat::StoreOptions{}.busy_timeout_ms);
    std::cout << "chat-server: backup of '" << config.storage.path << "' written to '" << target << "' ("
              << result.pages << " pages, " << result.took.count() << " ms)\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "chat-server: backup failed: " << e.what() << '\n';
    return 1;
  }
}

// chat-server migrate --to URL: the SQLite database copied into an empty PostgreSQL database; the exit code.
int migrate(const chat::ServerConfig& config, std::string url) {
  if (url.empty()) url = config.storage.postgres_url;
  if (url.empty()) {
    std::cerr << "chat-server: migrate needs the PostgreSQL database: --to URL, or storage.postgres_url\n";
    return 2;
  }
  if (!chat::is_postgres_url(url)) {
    std::cerr << "chat-server: migrate --to: not a libpq URI (postgresql://user@host:port/database) or key=value "
                 "string\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);  // the summary below is the output
  try {
    const auto n = chat::migrate_sqlite_to_postgres(config.store_options(), url);
    std::cout << "chat-server: migrated '" << config.storage.path << "' to PostgreSQL: " << n.users << " users, "
              << n.rooms << " rooms, " << n.memberships << " memberships, " << n.bans << " bans, " << n.invites
              << " invites, " << n.messages << " messages, " << n.direct_messages << " direct messages, " << n.runs
              << " runs\n";
    if (n.nul_replaced > 0) {
      std::cout << "chat-server: " << n.nul_replaced
                << " texts held U+0000, which PostgreSQL cannot store: each was replaced by U+FFFD\n";
    }
    std::cout << "chat-server: to serve from it, set storage.backend \"postgres\" and storage.postgres_url\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "chat-server: migration failed (no chat data was copied): " << e.what() << '\n';
    return 1;
  }
}

int run(int argc, char** argv) {
  CLI::App app{"chat-server: a chat-room server speaking newline-delimited JSON over TCP"};
  std::string config_path;
  std::optional<std::string> host;
  std::optional<std::uint16_t> port;
  std::optional<std::string> db_path;
  std::optional<std::string> log_level;
  std::optional<std::string> log_file;
  std::optional<std::size_t> io_threads;
  std::string ready_file;
  bool print_config = false;
  // The defaults shown are the built-in configuration's, which a --config file may change.
  const chat::ServerConfig defaults;
  app.add_option("-c,--config", config_path, "configuration file (JSON); absent keys keep their defaults");
  app.add_option("--host", host, "listen address (server.host)")->default_str(defaults.server.host);
  app.add_option("-p,--port", port, "listen port, 0 for any free port (server.port)")
      ->default_str(std::to_string(defaults.server.port.value_or(0)));
  app.add_option("--db", db_path, "SQLite database file, relative to the working directory (storage.path)")
      ->default_str(defaults.storage.path);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off (log.level)")
      ->default_str(defaults.log.level);
  app.add_option("--log-file", log_file, "also log to this rotating file (log.file; default none)");
  app.add_option("--io-threads", io_threads, "network threads, 0 for half the cores (server.io_threads)")
      ->default_str(std::to_string(defaults.server.io_threads));
  app.add_option("--ready-file", ready_file, "write the bound port to this file once listening");
  app.add_flag("--print-config", print_config, "print the effective configuration as JSON and exit");
  app.set_version_flag("--version", std::string(chat::protocol::kServerVersion));

  // Accounts made on the host. The options above (--config, --db) may also follow the subcommand.
  auto* user = app.add_subcommand("user", "manage the accounts in the database (storage.path, --db), then exit");
  user->require_subcommand(1);
  user->fallthrough();
  std::string user_name;
  bool add_admin = false;
  std::string password_file;
  auto* user_add = user->add_subcommand(
      "add", "create an account; the password comes from --password-file, else the terminal (not echoed), "
             "else the first line of standard input");
  user_add->add_option("name", user_name, "the account's name")->required();
  user_add->add_flag("--admin", add_admin, "make it an administrator");
  user_add->add_option("--password-file", password_file, "read the password from the first line of this file");
  user_add->fallthrough();
  std::string admin_state;
  auto* user_set_admin = user->add_subcommand("set-admin", "grant (on) or revoke (off) administration");
  user_set_admin->add_option("name", user_name, "the account's name")->required();
  user_set_admin->add_option("state", admin_state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  user_set_admin->fallthrough();
  auto* user_list = user->add_subcommand("list", "list the accounts, one per line: name, then admin or user");
  user_list->fallthrough();

  std::string backup_file;
  auto* backup_command = app.add_subcommand(
      "backup", "copy the database (storage.path, --db) to FILE while the server may run, then exit");
  backup_command->add_option("file", backup_file, "the copy; written as FILE.tmp, then renamed")->required();
  // `chat-server backup FILE --config my.json` reads the same flags as `chat-server --config my.json backup FILE`.
  backup_command->fallthrough();

  std::string migrate_url;
  auto* migrate_command = app.add_subcommand(
      "migrate", "copy the SQLite database (storage.path, --db) into an empty PostgreSQL database, then exit; "
                 "the server must be stopped");
  migrate_command->add_option("--to", migrate_url,
                              "the PostgreSQL database: a libpq URI or key=value string (default: "
                              "storage.postgres_url, which keeps a password off the command line)");
  migrate_command->fallthrough();
  CLI11_PARSE(app, argc, argv);

  chat::ServerConfig config;
  try {
    nlohmann::json document = nlohmann::json::object();
    if (!config_path.empty()) document = chat::ServerConfig::from_file(config_path).to_json();
    // Flags override the file; they go through the same validation.
    if (host) document["server"]["host"] = *host;
    if (port) document["server"]["port"] = *port;
    if (io_threads) document["server"]["io_threads"] = *io_threads;
    if (db_path) document["storage"]["path"] = *db_path;
    if (log_level) document["log"]["level"] = *log_level;
    if (log_file) document["log"]["file"] = *log_file;
    config = chat::ServerConfig::from_json(document);
  } catch (const chat::ConfigError& e) {
    std::cerr << "chat-server: configuration error: " << e.what() << '\n';
    return 2;
  }
  if (print_config) {
    auto printed = config.to_json();
    // Shown without its password: a printed configuration ends up in terminals, tickets and logs.
    if (!config.storage.postgres_url.empty()) {
      printed["storage"]["postgres_url"] = chat::redacted_postgres_url(config.storage.postgres_url);
    }
    printed["cluster"]["redis_url"] = chat::redacted_redis_url(config.cluster.redis_url);
    std::cout << printed.dump(2) << '\n';
    return 0;
  }
  if (*user) {
    // Quiet unless something is wrong: the command's own lines are its output.
    spdlog::set_level(spdlog::level::warn);
    const chat::UserCommand command{config, std::cout, std::cerr};
    if (*user_list) return command.list();
    if (*user_set_admin) return command.set_admin(user_name, admin_state == "on");
    const auto password = chat::read_new_password(password_file, user_name, std::cerr);
    if (!password) return 1;
    return command.add(user_name, *password, add_admin);
  }

  if (*backup_command) return backup(config, backup_file);
  if (*migrate_command) return migrate(config, migrate_url);
  return serve(config, ready_file);
}

}  // namespace

int main(int argc, char** argv) {
  // What fails before the logs are set up (a log file that cannot be opened...) ends in one line on standard
  // error and exit code 1, never in std::terminate's abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "chat-server: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "chat-server: an unknown exception\n";
  }
  return 1;
}
