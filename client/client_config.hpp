#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace chat::client {

enum class ColorMode { Auto, Always, Never };

// Everything chat-client can be told, from flags or a config file.
struct ClientConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7777;
  bool tls = false;            // connect with TLS, verifying the server's certificate and host name
  std::string ca_file;         // ... against these CA certificates (PEM) instead of the system's
  bool insecure = false;       // ... or not verifying at all (a warning says so)
  std::string user;            // log in automatically as this user
  bool guest = false;          // ... as a guest
  bool register_user = false;  // ... creating the account first
  std::string password_file;   // else the password is asked for
  std::vector<std::string> join;  // rooms to join after logging in (canonical)
  bool autojoin = true;        // interactive: join the rooms the account is a member of
  std::string script;          // run this file instead of reading the keyboard
  bool json = false;
  ColorMode color = ColorMode::Auto;
  bool utc = false;
  double timeout_seconds = 30;  // per reply and per /wait, in scripts
  int retries = -1;             // reconnect attempts; -1: unlimited interactively, 8 in scripts
  bool bell = true;             // interactive: ring the terminal bell on a highlight in another buffer
  std::string log_dir;          // interactive: log each buffer to a file in this directory
};

// The default config file: $XDG_CONFIG_HOME/chat-client/config.toml, or
// ~/.config/chat-client/config.toml.
std::string default_config_path();

// Reads flags and the config file. On --help, --version or an error, the
// exit status to end with instead (the message is already printed).
std::variant<ClientConfig, int> parse_command_line(int argc, char** argv);

}  // namespace chat::client
