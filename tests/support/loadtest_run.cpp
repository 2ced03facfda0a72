#include "tests/support/loadtest_run.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>

namespace chat::test {

LoadtestRun run_loadtest(const std::string& args) {
  const std::string command =
      "timeout 120 " CHAT_BINARY_DIR "/loadtest/chat-loadtest --progress 0 " + args;
  LoadtestRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot start: " + command);
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) run.output += buffer;
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const auto end = run.output.find_last_not_of('\n');
  if (end == std::string::npos) return run;
  const auto newline = run.output.rfind('\n', end);
  const auto first = newline == std::string::npos ? 0 : newline + 1;
  run.result = nlohmann::json::parse(run.output.substr(first, end + 1 - first), nullptr, false);
  return run;
}

}  // namespace chat::test
