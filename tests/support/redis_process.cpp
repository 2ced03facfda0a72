#include "tests/support/redis_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/loopback_socket.hpp"

namespace chat::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kPortAttempts = 5;
constexpr auto kStartTimeout = 10s;
constexpr auto kStopTimeout = 5s;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Whether a server on the port answers PING with PONG within a second.
bool answers_ping(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const sockaddr_in address = loopback(port);
  char reply[16] = {};
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                  ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6 && ::recv(fd, reply, 7, MSG_WAITALL) == 7 &&
                  std::string_view(reply, 7) == "+PONG\r\n";
  ::close(fd);
  return ok;
}

}  // namespace

std::optional<fs::path> RedisProcess::find_executable() {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  dirs += ":/usr/bin:/usr/sbin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    if (end > start) {
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "redis-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

RedisProcess::RedisProcess(std::vector<std::string> extra_args) : dir_(make_temp_dir("chat-redis")) {
  const auto executable = find_executable();
  if (!executable) {
    remove_temp_dir(dir_);
    throw std::runtime_error("redis-server is not installed");
  }
  // Another process may take the free port before redis-server binds it: then try another.
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (start(*executable, extra_args)) return;
  }
  const std::string why = "redis-server did not start:\n" + log();
  remove_temp_dir(dir_);
  throw std::runtime_error(why);
}

RedisProcess::~RedisProcess() {
  stop();
  remove_temp_dir(dir_);
}

std::string RedisProcess::log() const { return read_file(dir_ / "redis.log"); }

void RedisProcess::restart() {
  stop();
  // The port was ours a moment ago; a few tries in case the kernel holds it briefly.
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (start(*find_executable(), extra_args_, port_)) return;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("redis-server did not restart:\n" + log());
}

void RedisProcess::kill() {
  if (pid_ > 0) kill_and_reap(pid_);
  pid_ = -1;
}

bool RedisProcess::start(const fs::path& executable, const std::vector<std::string>& extra_args,
                         std::uint16_t port) {
  extra_args_ = extra_args;
  port_ = port != 0 ? port : free_port();
  // Loopback only; protected mode off so that 127.0.0.2 and up may connect
  // too (it admits 127.0.0.1 alone when there is no password).
  std::vector<std::string> args{executable.string(), "--bind", "127.0.0.1", "--port", std::to_string(port_),
                                "--save", "", "--appendonly", "no", "--protected-mode", "no",
                                "--daemonize", "no", "--dir", dir_.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = spawn(std::move(args), {}, dir_ / "redis.log", dir_ / "redis.log");
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (wait_for_exit(pid_, 0ms)) {  // e.g. the port was taken meanwhile
      pid_ = -1;
      return false;
    }
    if (answers_ping(port_)) return true;
    std::this_thread::sleep_for(20ms);
  }
  stop();
  return false;
}

void RedisProcess::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  if (!wait_for_exit(pid_, std::chrono::duration_cast<std::chrono::milliseconds>(kStopTimeout))) kill_and_reap(pid_);
  pid_ = -1;
}

}  // namespace chat::test
