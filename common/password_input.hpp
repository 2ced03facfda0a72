#pragma once

#include <optional>
#include <string>

namespace chat {

// Passwords never come from the command line, where `ps` would show them:
// they are typed at a prompt that does not echo, or read from a file. Shared
// by the client's log-in and the server's `user` commands.

struct PasswordFile {
  std::optional<std::string> password;  // the first line, without its line end
  std::string error;                    // why there is none
  bool readable_by_others = false;      // worth a warning, as ssh gives one
};

PasswordFile read_password_file(const std::string& path);

// Asks on the controlling terminal (/dev/tty) with echo off; nullopt when
// there is no terminal or the input ended. Echo comes back on every way out,
// including SIGINT, SIGTERM, SIGHUP or SIGQUIT during the prompt (they then
// take their usual course). Blocks: only for use before an event loop runs
// or where nothing else is waiting.
std::optional<std::string> prompt_on_tty(const std::string& prompt);

}  // namespace chat
