#pragma once

#include "server/server_config.hpp"

namespace chat {

// Installs the default spdlog logger: console, and a rotating file when
// log.file is set. Call once at start-up, before any thread logs.
void configure_logging(const ServerConfig::Log& config);

// A short, printable sample of untrusted input for a log line: control
// characters escaped, at most max_bytes long.
std::string log_sample(std::string_view input, std::size_t max_bytes = 80);

}  // namespace chat
