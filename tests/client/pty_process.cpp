#include "tests/client/pty_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chat::test {

PtyProcess::PtyProcess(std::vector<std::string> args, const Environment& env) {
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 100;
  if (::openpty(&master_, &slave_, nullptr, nullptr, &size) != 0) throw std::runtime_error("openpty failed");
  // Neither end leaks into other children; dup2() below gives the child its own.
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave_, F_SETFD, FD_CLOEXEC);

  args.insert(args.begin(), (std::filesystem::path(CHAT_BINARY_DIR) / "client" / "chat-client").string());
  std::vector<std::string> environment;
  for (char** entry = environ; *entry; ++entry) {
    const std::string_view text(*entry);
    if (!env.contains(std::string(text.substr(0, text.find('='))))) environment.emplace_back(text);
  }
  for (const auto& [name, value] : env) {
    if (value) environment.push_back(name + "=" + *value);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Child: only async-signal-safe calls from here on.
    ::setsid();
    ::ioctl(slave_, TIOCSCTTY, 0);
    ::dup2(slave_, STDIN_FILENO);
    ::dup2(slave_, STDOUT_FILENO);
    ::dup2(slave_, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
}

PtyProcess::~PtyProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::close(master_);
  ::close(slave_);
}

void PtyProcess::drain() {
  for (;;) {
    pollfd ready{master_, POLLIN, 0};
    if (::poll(&ready, 1, 0) != 1 || !(ready.revents & POLLIN)) return;
    char chunk[4096];
    const auto n = ::read(master_, chunk, sizeof chunk);
    if (n <= 0) return;
    output_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string PtyProcess::output() {
  drain();
  return output_;
}

bool PtyProcess::wait_for_output(std::string_view text, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    if (output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

void PtyProcess::type(std::string_view keys) const {
  [[maybe_unused]] auto n = ::write(master_, keys.data(), keys.size());
}

void PtyProcess::signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

std::optional<int> PtyProcess::wait(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (pid_ > 0) {
    drain();  // a child blocked on a full terminal would never exit
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      drain();
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

bool PtyProcess::echo_on() const {
  termios settings{};
  if (::tcgetattr(slave_, &settings) != 0) throw std::runtime_error("tcgetattr failed");
  return (settings.c_lflag & ECHO) != 0;
}

}  // namespace chat::test
