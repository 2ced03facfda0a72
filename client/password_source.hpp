#pragma once

#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "common/password_input.hpp"

namespace chat::client {

// Passwords never come from the command line, where `ps` would show them:
// they are typed at a prompt that does not echo (prompt_on_tty), or read from
// a file (read_password_file); both in common/password_input.hpp.
using AskPassword = std::function<boost::asio::awaitable<std::optional<std::string>>(std::string prompt)>;

using chat::PasswordFile;
using chat::prompt_on_tty;
using chat::read_password_file;

}  // namespace chat::client
