#include "client/client_config.hpp"

#include <cstdio>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <string_view>

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

namespace {

// The config file key whose value `message` refuses: a key the file set, not given on the command line (where
// it would win), whose flag the message names. nullopt when the refusal is about the command line.
std::optional<std::string> config_key_refused(const CLI::App& app, const ConfigFileFormat& file,
                                              std::string_view message, int argc, char** argv) {
  for (const auto* option : app.get_options()) {
    for (const auto& name : option->get_lnames()) {
      const auto flag = "--" + name;
      const auto at = message.find(flag);
      const auto after = at + flag.size();
      const bool named = at != std::string_view::npos &&
                         (after == message.size() || !(std::isalnum(static_cast<unsigned char>(message[after])) ||
                                                       message[after] == '-' || message[after] == '_'));
      if (!named || file.line_of(name) == 0) continue;
      bool on_command_line = false;
      for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        on_command_line |= arg.starts_with("-") && option->check_name(std::string(arg.substr(0, arg.find('='))));
      }
      if (!on_command_line) return name;
    }
  }
  return std::nullopt;
}

// CLI11's message with the flag ("--port") spelt as the key ("port"), which it starts with.
std::string in_config_terms(std::string message, const std::string& key) {
  const auto flag = "--" + key;
  for (auto at = message.find(flag); at != std::string::npos; at = message.find(flag, at + key.size())) {
    message.replace(at, flag.size(), key);
  }
  return message.starts_with(key + ":") ? message : key + ": " + message;
}

}  // namespace

std::variant<ClientConfig, int> parse_command_line(int argc, char** argv) {
  ClientConfig config;
  CLI::App app{"chat-client: the terminal client of chat-server. Interactive on a terminal; "
               "reads commands from stdin or --script otherwise. See docs/client.md."};
  app.set_version_flag("--version", std::string(protocol::kServerVersion));
  app.set_config("--config", default_config_path(), "read options from this TOML file (keys are the long flag names)");
  // A misspelt key would otherwise be dropped without a word (ConfigFileFormat names its line first).
  app.allow_config_extras(CLI::config_extras_mode::error);
  const auto file_format = std::make_shared<ConfigFileFormat>([&app](const std::string& key) {
    const auto* option = app.get_option_no_throw("--" + key);
    return option != nullptr && option->get_configurable();
  });
  app.config_formatter(file_format);

  // A flag given twice takes its last value, so an alias's defaults can be overridden.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--host", config.host, "server host")->capture_default_str();
  app.add_option("-p,--port", config.port, "server port")->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_flag("--tls", config.tls, "connect with TLS; the certificate and host name are verified");
  app.add_option("--ca-file", config.ca_file,
                 "with --tls: trust the CA certificates in this PEM file instead of the system's");
  app.add_flag("--insecure", config.insecure,
               "with --tls: do not verify the server's certificate (anyone in between can read and change "
               "everything)");
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

  app.add_option("--bell", config.bell,
                 "ring the terminal bell when a buffer not shown gets a line naming you, or a direct message "
                 "(on or off; interactive)")
      ->capture_default_str();
  app.add_option("--log-dir", config.log_dir,
                 "write each buffer to DIR/NAME.log (mode 0600, DIR made 0700), as irssi's /log does (interactive)");

  const auto config_file = [&app] { return app.get_config_ptr()->as<std::string>(); };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ConfigError& e) {
    std::fprintf(stderr, "chat-client: %s: %s (the keys are the long flag names, see --help)\n",
                 config_file().c_str(), e.what());
    return kExitUsage;
  } catch (const CLI::ParseError& e) {
    // A value from the config file is named by its key and line, not by the flag the file does not show.
    if (const auto key = config_key_refused(app, *file_format, e.what(), argc, argv)) {
      std::fprintf(stderr, "chat-client: %s: line %d: %s\n", config_file().c_str(), file_format->line_of(*key),
                   in_config_terms(e.what(), *key).c_str());
      return kExitUsage;
    }
    const int status = app.exit(e);
    return status == 0 ? kExitOk : kExitUsage;
  }

  config.color = color == "always" ? ColorMode::Always : color == "never" ? ColorMode::Never : ColorMode::Auto;

  const auto fail = [](const std::string& message) {
    std::fprintf(stderr, "chat-client: %s\n", message.c_str());
    return kExitUsage;
  };
  if ((config.guest || config.register_user) && config.user.empty()) return fail("--guest and --register need --user");
  if ((!config.ca_file.empty() || config.insecure) && !config.tls) return fail("--ca-file and --insecure need --tls");
  if (!config.ca_file.empty() && config.insecure) return fail("--ca-file and --insecure exclude each other");
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
