#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "loadtest/coordinator.hpp"
#include "loadtest/load_options.hpp"
#include "loadtest/worker_process.hpp"

int main(int argc, char** argv) {
  // A closed pipe or socket is reported as an error on the call, not as a signal.
  std::signal(SIGPIPE, SIG_IGN);
  const auto parsed = chat::loadtest::parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.options) {
    (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message;
    return parsed.exit_code;
  }
  try {
    if (parsed.options->is_worker()) return chat::loadtest::WorkerProcess(*parsed.options).run();
    return chat::loadtest::Coordinator(*parsed.options).run();
  } catch (const std::exception& error) {
    std::cerr << "chat-loadtest: " << error.what() << "\n";
    return 3;
  }
}
