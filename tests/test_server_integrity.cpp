// A damaged database is refused at start-up (storage.check_at_start), with exit code 1 and the file named,
// instead of being served until someone reads the damaged page.
#include <doctest/doctest.h>

#include "tests/support/child_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/test_damaged_database.hpp"

using chat::test::binary;
using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using namespace std::chrono_literals;

namespace {

// Runs the server of `stopped` again, on its configuration (storage.check_at_start at its default).
chat::test::Run start_again(const ServerProcess& stopped) {
  return chat::test::run_to_end({binary("server/chat-server").string(), "--config",
                                 (stopped.directory() / "config.json").string(), "--ready-file",
                                 (stopped.directory() / "ready-again").string()},
                                20s);
}

}  // namespace

TEST_CASE("a database that fails its integrity check is refused at start with exit code 1, naming the file") {
  ServerProcess server;
  {
    TestClient alice(server.port());
    TestClient bob(server.port());
    expect_ok(alice.register_user("alice"));
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("logout"));
    // Direct messages waiting for bob: a table the server does not read until bob logs in.
    for (int i = 0; i < 100; ++i) expect_ok(alice.request("dm", {{"to", "bob"}, {"text", std::string(300, 'x')}}));
  }
  REQUIRE(server.terminate() == 0);
  chat::test::damage_table(server.db_path(), "direct_messages");

  const auto run = start_again(server);
  INFO(run.err);
  CHECK(run.status == 1);
  CHECK(run.err.find("critical") != std::string::npos);
  CHECK(run.err.find("database '" + server.db_path().string() + "' failed its integrity check (quick_check)") !=
        std::string::npos);
  CHECK(run.err.find("listening on") == std::string::npos);
}
