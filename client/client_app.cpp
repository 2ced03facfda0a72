#include "client/client_app.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "client/color_support.hpp"
#include "client/tls_client_context.hpp"
#include "client/command_dispatcher.hpp"
#include "client/exit_status.hpp"
#include "client/input_source.hpp"
#include "client/interactive_mode.hpp"
#include "client/output_log.hpp"
#include "client/password_source.hpp"
#include "client/script_runner.hpp"
#include "client/server_link.hpp"
#include "client/terminal_output.hpp"

namespace chat::client {
namespace {

constexpr int kScriptRetries = 8;  // about a minute and a half of trying
// Passwords typed at the interactive login, as sudo allows; the server's lock-out comes later
// (auth.login_account_failures, 5 by default).
constexpr int kTypedPasswordTries = 3;

void complain(const std::string& message) { std::fprintf(stderr, "chat-client: %s\n", message.c_str()); }

// The password for the automatic login, or nullopt after saying why not.
std::optional<std::string> startup_password(const ClientConfig& config) {
  if (!config.password_file.empty()) {
    const PasswordFile file = read_password_file(config.password_file);
    if (!file.password) {
      complain(file.error);
      return std::nullopt;
    }
    if (file.readable_by_others) complain("warning: " + config.password_file + " is readable by other users");
    return file.password;
  }
  auto password = prompt_on_tty("Password for " + config.user + ": ");
  if (password && config.register_user && prompt_on_tty("Repeat the password: ") != password) {
    complain("the passwords differ");
    return std::nullopt;
  }
  if (!password) complain("no password: give --password-file or run on a terminal");
  return password;
}

int exit_status(LinkEnd end, int failures) {
  switch (end) {
    case LinkEnd::ConnectFailed:
    case LinkEnd::GaveUp: return kExitConnection;
    case LinkEnd::AuthFailed: return kExitAuth;
    case LinkEnd::Quit: break;
  }
  return failures > 0 ? kExitCommandFailed : kExitOk;
}

int run_script(boost::asio::io_context& io, ServerLinkOptions options, FormatOptions format, int input_fd,
               const ClientConfig& config) {
  auto executor = io.get_executor();
  OutputLog log(executor);
  StdioWriter writer(log);
  TerminalOutput output(OutputFormatter(format), writer);
  ServerLink link(executor, std::move(options), output);
  link.keep_replies();
  // Script lines like "/login alice" read the same password file.
  AskPassword ask = [&config](std::string prompt) -> boost::asio::awaitable<std::optional<std::string>> {
    if (!config.password_file.empty()) co_return read_password_file(config.password_file).password;
    co_return prompt_on_tty(prompt);
  };
  CommandDispatcher dispatcher(link, output, std::move(ask), /*confirm_new_passwords=*/false);
  InputSource input(executor, input_fd);
  const auto timeout = std::chrono::milliseconds(static_cast<long long>(config.timeout_seconds * 1000));
  ScriptRunner runner(link, dispatcher, output, log, input, timeout);

  LinkEnd end = LinkEnd::Quit;
  int failures = 0;
  int running = 2;
  const auto finished = [&] {
    if (--running == 0) io.stop();
  };
  boost::asio::co_spawn(executor, link.run(), [&](std::exception_ptr error, LinkEnd result) {
    end = error ? LinkEnd::GaveUp : result;
    runner.stop();
    finished();
  });
  boost::asio::co_spawn(executor, runner.run(), [&](std::exception_ptr error, int result) {
    failures = error ? 1 : result;
    link.quit();
    finished();
  });
  io.run();
  return exit_status(end, failures + link.failed_requests());
}

}  // namespace

int run_client(const ClientConfig& config) {
  const bool scripted = !config.script.empty() || !::isatty(STDIN_FILENO);

  ServerLinkOptions options;
  options.host = config.host;
  options.port = config.port;
  if (config.tls) {
    try {
      options.tls = make_client_tls_context(config.ca_file, config.insecure);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chat-client: %s\n", e.what());
      return kExitUsage;
    }
    if (config.insecure) {
      std::fprintf(stderr, "chat-client: warning: --insecure: the server's certificate is not verified; anyone "
                           "between you and %s can read and change what you send and receive\n",
                   config.host.c_str());
    }
  }
  options.autojoin = config.join;
  options.join_member_rooms = !scripted && config.autojoin;
  // Scripts join what they name, so that they do the same on any server.
  options.join_default_room = !scripted && config.autojoin;
  options.backoff.max_attempts = config.retries >= 0 ? config.retries : (scripted ? kScriptRetries : 0);
  if (!config.user.empty()) {
    Credentials credentials{AuthMode::Guest, config.user, {}};
    if (!config.guest) {
      credentials.mode = config.register_user ? AuthMode::Register : AuthMode::Login;
      auto password = startup_password(config);
      if (!password) return kExitUsage;
      credentials.password = std::move(*password);
    }
    options.credentials = std::move(credentials);
  }

  // Scripts write notices to stderr: colour only when both streams are a
  // terminal, so that no escape codes end up in a log file.
  const bool to_terminal = ::isatty(STDOUT_FILENO) && (!scripted || ::isatty(STDERR_FILENO));
  const bool color = wants_color(config.color, current_color_environment(to_terminal));
  FormatOptions format{color, config.json, config.utc};
  boost::asio::io_context io;
  if (!scripted) {
    // A password from a file stays wrong however often it is read.
    if (config.password_file.empty()) options.login_attempts = kTypedPasswordTries;
    format.interactive = true;
    BufferViewOptions view;
    view.bell = config.bell;
    view.log_dir = config.log_dir;
    return exit_status(run_interactive(io, std::move(options), format, std::move(view)), 0);
  }

  const int input_fd =
      config.script.empty() ? ::dup(STDIN_FILENO) : ::open(config.script.c_str(), O_RDONLY | O_CLOEXEC);
  if (input_fd < 0) {
    complain("cannot open " + config.script + ": " + std::strerror(errno));
    return kExitUsage;
  }
  return run_script(io, std::move(options), format, input_fd, config);
}

}  // namespace chat::client
