// A database the server cannot write, and a ready file it cannot write: start-up stops with exit code 1 and
// a message that says what and where, never with an abort, and never after it began to listen.
#include <doctest/doctest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/immutable_file.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::binary;
using chat::test::expect_ok;
using chat::test::ImmutableFile;
using chat::test::Run;
using chat::test::ServerProcess;
using chat::test::TestClient;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A server that stored something and stopped: its directory holds the database and the configuration.
// Killed, it leaves its WAL behind for the next start to read.
struct StoppedServer {
  ServerProcess server;
  explicit StoppedServer(bool killed = false) {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    if (killed) {
      server.kill9();
    } else {
      REQUIRE(server.terminate() == 0);
    }
  }
  Run start(const fs::path& ready_file) {
    return chat::test::run_to_end({binary("server/chat-server").string(), "--config",
                                   (server.directory() / "config.json").string(), "--ready-file",
                                   ready_file.string()},
                                  20s);
  }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a read-only database stops start-up with exit code 1, naming the file, before listening") {
  StoppedServer stopped;
  ImmutableFile read_only(stopped.server.db_path());
  if (!read_only.immutable()) {
    MESSAGE("skipped: " << read_only.error());
    return;
  }
  const auto ready = stopped.server.directory() / "ready-again";
  const auto run = stopped.start(ready);
  INFO(run.err);
  CHECK(run.status == 1);
  CHECK(contains(run.err, "critical"));
  CHECK(contains(run.err, "database '" + stopped.server.db_path().string() + "' is not writable"));
  CHECK(contains(run.err, "readonly database"));
  CHECK_FALSE(contains(run.err, "listening on"));
  CHECK_FALSE(fs::exists(ready));
}

TEST_CASE("a ready file that cannot be written stops start-up with exit code 1 and says which") {
  StoppedServer stopped;
  const auto ready = stopped.server.directory() / "no-such-folder" / "ready";
  const auto run = stopped.start(ready);
  INFO(run.err);
  CHECK(run.status == 1);
  CHECK(contains(run.err, "cannot write the ready file '" + ready.string() + "'"));
  CHECK(contains(run.err, "bye") == false);
  // The server had started: it stops as gracefully as ever, database checkpointed.
  CHECK(contains(run.err, "stopped:"));
}

TEST_CASE("a read-only database and an unwritable ready file: exit code 1, no abort") {
  StoppedServer stopped(/*killed=*/true);
  ImmutableFile read_only(stopped.server.db_path());
  if (!read_only.immutable()) {
    MESSAGE("skipped: " << read_only.error());
    return;
  }
  const auto run = stopped.start(stopped.server.directory() / "no-such-folder" / "ready");
  INFO(run.err);
  CHECK(run.status == 1);  // -1 would be a signal: std::terminate's abort
  CHECK_FALSE(contains(run.err, "terminate called"));
}
