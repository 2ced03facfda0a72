#include "server/user_command.hpp"

#include <unistd.h>

#include <iostream>

#include "common/names.hpp"
#include "common/password_input.hpp"
#include "server/dispatch/command.hpp"
#include "server/auth/password_hasher.hpp"
#include "server/auth/password_policy.hpp"
#include "server/storage/open_store.hpp"

namespace chat {
namespace {

// The canonical name, or nullopt after saying why it is not one.
std::optional<std::string> checked_name(const UserCommand& command, const std::string& name) {
  auto canonical = canonical_user_name(name, command.config.limits.max_name_length);
  if (!canonical) {
    command.err << "invalid name '" << name << "': 1-" << command.config.limits.max_name_length
                << " characters of A-Z a-z 0-9 _ - .\n";
  }
  return canonical;
}

// Runs `action` on the opened database; a storage failure is reported and exits 1.
template <class Action>
int with_store(const UserCommand& command, Action&& action) {
  try {
    const auto store = open_store(command.config.store_options());
    return action(*store);
  } catch (const std::exception& e) {
    command.err << "cannot use the database " << command.config.storage_name() << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace

int UserCommand::add(const std::string& name, const std::string& password, bool admin) const {
  const auto canonical = checked_name(*this, name);
  if (!canonical) return 1;
  if (const auto problem = password_problem(password, config.auth.password_min_length)) {
    err << *problem << '\n';
    return 1;
  }
  return with_store(*this, [&](Store& store) {
    const PasswordHasher hasher(config.auth.hash_ops_limit, config.auth.hash_mem_limit_kib);
    UserRecord record{*canonical, hasher.hash(password), CommandContext::now_ms()};
    record.is_admin = admin;
    if (!store.create_user(record)) {
      err << "name '" << *canonical << "' is taken\n";
      return 1;
    }
    out << "created " << (admin ? "administrator " : "account ") << *canonical << '\n';
    return 0;
  });
}

int UserCommand::set_admin(const std::string& name, bool admin) const {
  const auto canonical = checked_name(*this, name);
  if (!canonical) return 1;
  return with_store(*this, [&](Store& store) {
    if (!store.set_admin(*canonical, admin)) {
      err << "no account '" << *canonical << "'\n";
      return 1;
    }
    out << *canonical << (admin ? " is an administrator\n" : " is not an administrator\n");
    return 0;
  });
}

int UserCommand::list() const {
  return with_store(*this, [&](Store& store) {
    for (const auto& user : store.load_users()) out << user.name << '\t' << (user.is_admin ? "admin" : "user") << '\n';
    return 0;
  });
}

std::optional<std::string> read_new_password(const std::string& file, const std::string& name, std::ostream& err) {
  if (!file.empty()) {
    auto read = read_password_file(file);
    if (!read.password) err << read.error << '\n';
    if (read.readable_by_others) err << "warning: " << file << " can be read by other users\n";
    return read.password;
  }
  if (::isatty(STDIN_FILENO) != 0) {
    auto first = prompt_on_tty("Password for " + name + ": ");
    if (!first) {
      err << "no password given\n";
      return std::nullopt;
    }
    if (prompt_on_tty("Repeat the password: ") != first) {
      err << "the passwords differ\n";
      return std::nullopt;
    }
    return first;
  }
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    err << "no password on standard input\n";
    return std::nullopt;
  }
  return line;
}

}  // namespace chat
