#include "tests/support/postgres_process.hpp"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/loopback_socket.hpp"

namespace chat::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kPostgresBin = "/usr/lib/postgresql/15/bin";
constexpr auto kPostgresStartTimeout = 30s;
constexpr auto kPostgresStopTimeout = 10s;

// Under root, the command runs as `postgres`, which owns the cluster.
std::vector<std::string> as_owner(std::vector<std::string> command) {
  if (::geteuid() != 0) return command;
  std::vector<std::string> args{"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

std::string conninfo(std::uint16_t port, const std::string& database) {
  return "host=127.0.0.1 port=" + std::to_string(port) + " user=chat dbname=" + database + " connect_timeout=5";
}

}  // namespace

PostgresProcess::PostgresProcess() : dir_(make_temp_dir("chat-postgres")), data_(dir_ / "data") {
  if (::access((kPostgresBin / "initdb").c_str(), X_OK) != 0) {
    remove_temp_dir(dir_);
    throw std::runtime_error("PostgreSQL 15 is not installed (apt-get install postgresql-15)");
  }
  if (::geteuid() == 0) {
    const passwd* owner = ::getpwnam("postgres");
    if (owner == nullptr || ::chown(dir_.c_str(), owner->pw_uid, owner->pw_gid) != 0) {
      remove_temp_dir(dir_);
      throw std::runtime_error("cannot give the cluster's folder to the postgres user");
    }
  }
  const auto made = run_to_end(as_owner({(kPostgresBin / "initdb").string(), "-D", data_.string(), "-U", "chat", "-A", "trust",
                                         "-E", "UTF8", "--locale=C", "--no-sync"}),
                               60s);
  if (made.status != 0) {
    remove_temp_dir(dir_);
    throw std::runtime_error("initdb failed: " + made.out + made.err);
  }
  port_ = free_port();
  try {
    start();
  } catch (...) {
    stop();
    remove_temp_dir(dir_);
    throw;
  }
}

PostgresProcess::~PostgresProcess() {
  stop();
  remove_temp_dir(dir_);
}

std::string PostgresProcess::log() const { return read_file(dir_ / "postgres.log"); }

void PostgresProcess::start() {
  if (pid_ > 0) return;
  pid_ = spawn(as_owner({(kPostgresBin / "postgres").string(), "-D", data_.string(), "-p", std::to_string(port_), "-c",
                         "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir_.string(), "-c",
                         "fsync=off", "-c", "max_connections=200"}),
               {}, dir_ / "postgres.log", dir_ / "postgres.log");
  const auto deadline = std::chrono::steady_clock::now() + kPostgresStartTimeout;
  const auto info = conninfo(port_, "postgres");
  while (std::chrono::steady_clock::now() < deadline) {
    if (wait_for_exit(pid_, 0ms)) {
      pid_ = -1;
      throw std::runtime_error("PostgreSQL did not start:\n" + log());
    }
    if (PQping(info.c_str()) == PQPING_OK) return;
    std::this_thread::sleep_for(50ms);
  }
  throw std::runtime_error("PostgreSQL did not answer in time:\n" + log());
}

void PostgresProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: clients are disconnected, what is committed stays
  if (!wait_for_exit(pid_, std::chrono::duration_cast<std::chrono::milliseconds>(kPostgresStopTimeout))) kill_and_reap(pid_);
  pid_ = -1;
}

std::string PostgresProcess::create_database() {
  const std::string name = "chat_test_" + std::to_string(++databases_);
  const std::unique_ptr<PGconn, decltype(&PQfinish)> admin(PQconnectdb(conninfo(port_, "postgres").c_str()),
                                                            &PQfinish);
  if (PQstatus(admin.get()) != CONNECTION_OK) {
    throw std::runtime_error(std::string("cannot connect to PostgreSQL: ") + PQerrorMessage(admin.get()));
  }
  const std::unique_ptr<PGresult, decltype(&PQclear)> created(
      PQexec(admin.get(), ("CREATE DATABASE " + name).c_str()), &PQclear);
  if (PQresultStatus(created.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(std::string("CREATE DATABASE failed: ") + PQerrorMessage(admin.get()));
  }
  return "postgresql://chat@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

PostgresProcess& shared_postgres() {
  static PostgresProcess process;
  return process;
}

}  // namespace chat::test
