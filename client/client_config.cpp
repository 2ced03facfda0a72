#include "client/client_config.hpp"

#include <cstdio>
#include <cstdlib>

#include <CLI/CLI.hpp>

#include "client/config_file_format.hpp"
#include "client/exit_status.hpp"
#include "common/names.hpp"
#include "common/protocol.hpp"

namespace chat::client {

std::string default_config_path() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::string(xdg) + "/chat-client/config.toml";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::string(home) + "/.config/chat-client/config.toml";
  }
  return {};
}

std::variant<ClientConfig, int> parse_command_line(int argc, char** argv) {
  ClientConfig config;
  CLI::App app{"chat-client: the terminal client of chat-server. Interactive on a terminal; "
               "reads commands from stdin or --script otherwise. See docs/client.md."};
  app.set_version_flag("--version", std::string(protocol::kServerVersion));
  app.set_config("--config", default_config_path(), "read options from this TOML file (keys are the long flag names)");
  app.config_formatter(std::make_shared<ConfigFileFormat>());
  // A misspelt key would otherwise be dropped without a word.
  app.allow_config_extras(CLI::config_extras_mode::error);

  // A flag given twice takes its last value, so an alias's defaults can be overridden.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--host", config.host, "server host")->capture_default_str();
  app.add_option("-p,--port", config.port, "server port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("-u,--user", config.user, "log in as this user when connected");
  auto* guest = app.add_flag("--guest", config.guest, "log in as a guest named --user");
  app.add_flag("--register", config.register_user, "create the account --user, then log in")->excludes(guest);
  app.add_option("--password-file", config.password_file,
                 "read the password from the first line of this file (else it is asked for)");
  app.add_option("-j,--join", config.join, "join this room after logging in (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("!--no-autojoin", config.autojoin,
               "do not join the account's rooms, nor the server's default room, at login (interactive)");
  app.add_option("-s,--script", config.script, "run the commands in this file, then exit");
  app.add_flag("--json", config.json, "print events and replies as JSON lines");
  std::string color = "auto";
  app.add_option("--color", color, "auto (on a terminal with colours, unless NO_COLOR is set), always or never")
      ->capture_default_str()->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag("--utc", config.utc, "show times in UTC instead of local time");
  app.add_option("--timeout", config.timeout_seconds, "seconds a script waits for a reply or a /wait")
      ->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--retries", config.retries, "reconnect attempts before giving up (0: never give up)")
      ->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    std::fprintf(stderr, "chat-client: in the config file: %s\n", e.what());
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    const int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }

  config.color = color == "always" ? ColorMode::Always : color == "never" ? ColorMode::Never : ColorMode::Auto;

  const auto fail = [](const std::string& message) {
    std::fprintf(stderr, "chat-client: %s\n", message.c_str());
    return kExitUsage;
  };
  if ((config.guest || config.register_user) && config.user.empty()) return fail("--guest and --register need --user");
  if (!config.user.empty()) {
    const auto name = canonical_user_name(config.user);
    if (!name) return fail("invalid user name '" + config.user + "'");
    config.user = *name;
  }
  for (auto& room : config.join) {
    const auto name = canonical_room_name(room);
    if (!name) return fail("invalid room name '" + room + "'");
    room = *name;
  }
  return config;
}

}  // namespace chat::client
