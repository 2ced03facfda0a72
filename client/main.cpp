#include <csignal>
#include <variant>

#include "client/client_app.hpp"
#include "client/client_config.hpp"

int main(int argc, char** argv) {
  // A server that vanishes mid-write must be a reconnect, not a dead client.
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = chat::client::parse_command_line(argc, argv);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  return chat::client::run_client(std::get<chat::client::ClientConfig>(parsed));
}
