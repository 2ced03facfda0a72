#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

namespace chat::test {

// A real PostgreSQL server (Debian's postgresql-15) on a free port of 127.0.0.1: a cluster made by initdb in a
// temporary directory, user `chat` trusted on loopback, stopped and removed by the destructor, so also when a
// test fails. PostgreSQL refuses to run as root: under root the cluster belongs to, and the server runs as,
// the `postgres` user (setpriv). fsync is off: these tests crash the chat server, never the machine.
class PostgresProcess {
 public:
  // Throws std::runtime_error, with initdb's or the server's words, when it cannot start.
  PostgresProcess();
  ~PostgresProcess();
  PostgresProcess(const PostgresProcess&) = delete;
  PostgresProcess& operator=(const PostgresProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // A new, empty database; its libpq URI.
  std::string create_database();

  // A fast shutdown (open connections are cut), then a start on the same port and data: what an operator's
  // restart or a failover looks like to the chat server. stop() is idempotent.
  void stop();
  void start();
  bool running() const noexcept { return pid_ > 0; }
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path data_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  int databases_ = 0;
};

// One server for the whole test program, started on first use; tests take a database each.
PostgresProcess& shared_postgres();

}  // namespace chat::test
