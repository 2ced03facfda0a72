#include "tests/client/client_process.hpp"

#include "tests/support/child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace chat::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

}  // namespace

fs::path temp_file(std::string_view name, std::string_view text) {
  const auto path = make_temp_dir("chat-client-test") / name;
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  return path;
}

ClientProcess::ClientProcess(std::vector<std::string> args, std::string_view script, Input input,
                             std::vector<std::string> env)
    : dir_(make_temp_dir("chat-client-test")) {
  const auto in = dir_ / "script";
  if (input == Input::File) {
    std::ofstream(in) << script;
  } else {
    if (::mkfifo(in.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed");
    // Read-write, so the open does not wait for a reader, and the pipe stays
    // open after the child's own open.
    pipe_ = ::open(in.c_str(), O_RDWR | O_CLOEXEC);
    if (pipe_ < 0) throw std::runtime_error("cannot open the script pipe");
    feed(script);
  }
  // env(1) sets the environment and then becomes chat-client (same pid).
  std::vector<std::string> command{"/usr/bin/env", "XDG_CONFIG_HOME=" + (dir_ / "config").string()};
  command.insert(command.end(), env.begin(), env.end());
  command.push_back((fs::path(CHAT_BINARY_DIR) / "client" / "chat-client").string());
  command.insert(command.end(), args.begin(), args.end());
  pid_ = spawn(std::move(command), in, dir_ / "out", dir_ / "err");
}

ClientProcess::~ClientProcess() {
  if (pid_ > 0) kill_and_reap(pid_);
  close_input();
  remove_temp_dir(dir_);
}

void ClientProcess::feed(std::string_view text) const {
  if (pipe_ < 0 || text.empty()) return;
  [[maybe_unused]] auto n = ::write(pipe_, text.data(), text.size());
}

void ClientProcess::close_input() {
  if (pipe_ >= 0) ::close(pipe_);
  pipe_ = -1;
}

std::string ClientProcess::out() const { return read_file(dir_ / "out"); }
std::string ClientProcess::err() const { return read_file(dir_ / "err"); }

bool ClientProcess::wait_for_output(std::string_view text, std::chrono::milliseconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    if (out().find(text) != std::string::npos || err().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

int ClientProcess::wait(std::chrono::milliseconds limit) {
  if (pid_ <= 0) return status_;
  const auto status = wait_for_exit(pid_, limit);
  if (!status) kill_and_reap(pid_);
  pid_ = -1;
  status_ = status.value_or(-1);
  return status_;
}

void ClientProcess::signal(int signal) const {
  if (pid_ > 0) ::kill(pid_, signal);
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace chat::test
