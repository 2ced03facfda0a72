#include "tests/support/server_process.hpp"

#include "tests/support/child_process.hpp"

#include <signal.h>
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

nlohmann::json test_defaults(const fs::path& dir) {
  return {
      {"server", {{"host", "127.0.0.1"}, {"port", 0}, {"io_threads", 2}, {"shutdown_timeout_ms", 5000}}},
      {"pool", {{"min_threads", 2}, {"max_threads", 4}}},
      {"storage", {{"path", (dir / "chat.db").string()}}},
      // Cheap hashing keeps registration fast in tests; the algorithm is the same.
      {"auth", {{"hash_ops_limit", 1}, {"hash_mem_limit_kib", 64}}},
      {"log", {{"level", "info"}}},
      // Tests make the rooms they need (many create #general); test_server_newcomers turns the default room on.
      {"rooms", {{"default", ""}}},
  };
}

}  // namespace

fs::path binary(const std::string& relative) { return fs::path(CHAT_BINARY_DIR) / relative; }

ServerProcess::ServerProcess() : ServerProcess(Options{}) {}

ServerProcess::ServerProcess(Options options) : options_(std::move(options)), dir_(make_temp_dir("chat-test")) {
  auto config = test_defaults(dir_);
  config.merge_patch(options_.config);
  for (const auto& key : options_.null_keys) {
    const auto dot = key.find('.');
    config[key.substr(0, dot)][key.substr(dot + 1)] = nullptr;
  }
  std::ofstream(dir_ / "config.json") << config.dump(2);
  start();
}

ServerProcess::~ServerProcess() {
  if (running()) terminate(10s);
  remove_temp_dir(dir_);
}

std::string ServerProcess::log() const { return read_file(log_path()); }

namespace {
// The port of the last "<marker>HOST:PORT ..." line of a server log.
std::uint16_t logged_port(const std::string& text, const std::string& marker) {
  const auto at = text.rfind(marker);
  if (at == std::string::npos) throw std::runtime_error("no '" + marker + "' in the log:\n" + text);
  const auto end = text.find(' ', at + marker.size());
  const auto endpoint = text.substr(at + marker.size(), end - at - marker.size());
  return static_cast<std::uint16_t>(std::stoul(endpoint.substr(endpoint.rfind(':') + 1)));
}
}  // namespace

std::uint16_t ServerProcess::http_port() const {
  // "operator HTTP listening on 127.0.0.1:PORT (...)", logged before the ready file is written.
  return logged_port(log(), "operator HTTP listening on ");
}

std::uint16_t ServerProcess::tls_port() const {
  // "listening for TLS on 127.0.0.1:PORT (...)", logged before the ready file is written.
  return logged_port(log(), "listening for TLS on ");
}

void ServerProcess::start() {
  const auto ready = dir_ / "ready";
  fs::remove(ready);
  std::vector<std::string> args{binary("server/chat-server").string(), "--config", (dir_ / "config.json").string(),
                                "--ready-file", ready.string()};
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());

  pid_ = spawn(std::move(args), {}, log_path(), log_path(), options_.open_file_limit);
  for (int i = 0; i < 3000; ++i) {  // up to 30 s (sanitizer builds start slowly)
    std::ifstream in(ready);
    unsigned port = 0;
    if (in >> port && port > 0) {
      port_ = static_cast<std::uint16_t>(port);
      return;
    }
    if (wait_for_exit(pid_, std::chrono::milliseconds(0))) {
      pid_ = -1;
      throw std::runtime_error("chat-server exited during start-up:\n" + log());
    }
    std::this_thread::sleep_for(10ms);
  }
  kill9();
  throw std::runtime_error("chat-server did not become ready:\n" + log());
}

int ServerProcess::terminate(std::chrono::seconds patience) {
  if (!running()) return -1;
  send_signal(SIGTERM);
  if (const auto status = wait_exit(patience)) return *status;
  kill9();
  return -1;
}

void ServerProcess::send_signal(int signal) {
  if (running()) ::kill(pid_, signal);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds limit) {
  if (!running()) return -1;
  const auto status = wait_for_exit(pid_, limit);
  if (status) pid_ = -1;
  return status;
}

void ServerProcess::kill9() {
  if (!running()) return;
  kill_and_reap(pid_);
  pid_ = -1;
}

int ServerProcess::run_user_command(std::vector<std::string> args, const std::string& input) {
  const auto in = dir_ / "user-command.in";
  std::ofstream(in) << input;
  args.insert(args.begin(), {binary("server/chat-server").string(), "--config", (dir_ / "config.json").string(),
                             "user"});
  const pid_t pid = spawn(std::move(args), in, user_command_log(), user_command_log());
  const auto status = wait_for_exit(pid, 30s);
  if (!status) kill_and_reap(pid);
  return status.value_or(-2);
}

void ServerProcess::add_user(const std::string& name, const std::string& password, bool admin) {
  std::vector<std::string> args{"add", name};
  if (admin) args.emplace_back("--admin");
  const int status = run_user_command(std::move(args), password + "\n");
  if (status != 0) {
    throw std::runtime_error("chat-server user add " + name + " failed (" + std::to_string(status) +
                             "):\n" + read_file(user_command_log()));
  }
}

void ServerProcess::restart() {
  if (running()) terminate();
  start();
}

}  // namespace chat::test
