#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat::test {

// A real chat-server process on a free loopback port with its own temporary
// directory (database, config, log). Used by integration tests.
class ServerProcess {
 public:
  struct Options {
    // Merged over the test defaults (port 0, fast password hashing, ...) as a JSON merge patch: a null
    // there removes the key, so that it keeps its built-in default.
    nlohmann::json config = nlohmann::json::object();
    std::vector<std::string> extra_args;
    // The process's open-file limit (soft and hard); 0 keeps the inherited one.
    std::uint64_t open_file_limit = 0;
    // Keys ("server.port") set to null after the merge, for the settings that null turns off.
    std::vector<std::string> null_keys;
  };

  ServerProcess();
  explicit ServerProcess(Options options);
  // Only configuration overrides.
  explicit ServerProcess(nlohmann::json config) : ServerProcess(Options{std::move(config), {}, 0, {}}) {}
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // The operator HTTP port, read from the start-up log line (the ready file holds the chat port only);
  // throws when http.enabled is off.
  std::uint16_t http_port() const;
  // The TLS port (server.tls_port), read from the start-up log line; throws when there is no TLS listener.
  std::uint16_t tls_port() const;
  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0; }
  const std::filesystem::path& directory() const noexcept { return dir_; }
  std::filesystem::path db_path() const { return dir_ / "chat.db"; }
  std::filesystem::path log_path() const { return dir_ / "server.log"; }
  std::string log() const;

  // SIGTERM, then waits (SIGKILL after `patience`); returns the exit status
  // (-1 if it had to be killed or died from a signal).
  int terminate(std::chrono::seconds patience = std::chrono::seconds(20));
  // Sends `signal` and returns at once.
  void send_signal(int signal);
  // Waits up to `limit` for the process to exit: its exit status (-1 when it
  // died from a signal), or nullopt while it still runs.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  // SIGKILL and reap.
  void kill9();
  // Starts again on the same directory and database (a new port).
  void restart();

  // Runs `chat-server --config <this server's config> user <args...>` to its end, with `input` as its
  // standard input; returns its exit status. Its output goes to user_command_log().
  int run_user_command(std::vector<std::string> args, const std::string& input = {});
  std::filesystem::path user_command_log() const { return dir_ / "user-command.log"; }
  // `user add` as an operator would run it; throws when it fails.
  void add_user(const std::string& name, const std::string& password = "password123", bool admin = false);
  void add_admin(const std::string& name, const std::string& password = "password123") {
    add_user(name, password, /*admin=*/true);
  }

 private:
  void start();

  Options options_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// Path of a built executable, e.g. binary("server/chat-server").
std::filesystem::path binary(const std::string& relative);

}  // namespace chat::test
