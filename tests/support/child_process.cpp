#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace chat::test {

namespace fs = std::filesystem;

fs::path make_temp_dir(std::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void remove_temp_dir(const fs::path& dir) {
  if (std::getenv("CHAT_KEEP_TEST_DATA")) return;
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

pid_t spawn(std::vector<std::string> args, const fs::path& in, const fs::path& out, const fs::path& err,
            std::uint64_t open_file_limit) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid > 0) return pid;
  // Child: only async-signal-safe calls from here on.
  if (!in.empty()) {
    const int in_fd = ::open(in.c_str(), O_RDONLY);
    if (in_fd < 0) _exit(126);
    dup2(in_fd, STDIN_FILENO);
  }
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out_fd < 0 || err_fd < 0) _exit(126);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  if (open_file_limit != 0) {
    const rlimit limit{static_cast<rlim_t>(open_file_limit), static_cast<rlim_t>(open_file_limit)};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  _exit(127);
}

std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

Run run_to_end(std::vector<std::string> args, std::chrono::milliseconds limit) {
  const auto dir = make_temp_dir("chat-run");
  const pid_t pid = spawn(std::move(args), {}, dir / "out", dir / "err");
  const auto status = wait_for_exit(pid, limit);
  if (!status) kill_and_reap(pid);
  Run run{status.value_or(-2), read_file(dir / "out"), read_file(dir / "err")};
  remove_temp_dir(dir);
  return run;
}

}  // namespace chat::test
