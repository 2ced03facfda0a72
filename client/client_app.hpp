#pragma once

#include "client/client_config.hpp"

namespace chat::client {

// Runs chat-client as configured: interactive on a terminal, a script
// otherwise. Returns the process exit status (see exit_status.hpp).
int run_client(const ClientConfig& config);

}  // namespace chat::client
