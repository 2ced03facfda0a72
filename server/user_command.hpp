#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "server/server_config.hpp"

namespace chat {

// `chat-server user ...`: accounts made and changed on the host by whoever may
// open the database (storage.path) — the only way to make an administrator.
// Each opens the database, does its one thing and returns the process's exit
// code: 0 done, 1 refused (the name is taken, unknown or invalid, the
// password unacceptable) or failed (the database could not be written); what
// went wrong is written to `err`. Safe while the server runs on the same file:
// SQLite serializes the writes, and the server reads accounts at each log-in
// and administrators at each `stats`.
struct UserCommand {
  const ServerConfig& config;
  std::ostream& out;
  std::ostream& err;

  // Creates the account, an administrator if `admin`.
  int add(const std::string& name, const std::string& password, bool admin) const;
  int set_admin(const std::string& name, bool admin) const;
  // One line per account, by name: "<name>\tadmin" or "<name>\tuser".
  int list() const;
};

// The password for a new account: the first line of `file` when one is given,
// else typed twice at the terminal without echo, else the first line of
// standard input (a pipe, a script). nullopt, with the reason written to
// `err`, when there is none or the two typed differ.
std::optional<std::string> read_new_password(const std::string& file, const std::string& name, std::ostream& err);

}  // namespace chat
