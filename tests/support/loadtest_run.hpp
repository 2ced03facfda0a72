#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace chat::test {

// One run of the built chat-loadtest: its exit code, everything it printed on stdout, and its last line (the
// JSON result; discarded when it is not JSON).
struct LoadtestRun {
  int exit_code = -1;
  std::string output;
  nlohmann::json result;
};

// Runs `chat-loadtest <args> --progress 0` through the shell (so `args` may redirect) under timeout(1), a
// backstop only: the tool bounds its own run.
LoadtestRun run_loadtest(const std::string& args);

}  // namespace chat::test
