// The real chat-client logging in on a terminal, against a real chat-server: it lands in the server's default
// room, shows a refusal with what would allow the action, and asks again for a mistyped password.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include "tests/client/client_process.hpp"
#include "tests/client/pty_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using namespace chat::test;
using nlohmann::json;

namespace {

std::vector<std::string> client_args(std::uint16_t port, std::vector<std::string> more) {
  std::vector<std::string> args{"--port", std::to_string(port), "--color", "never"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// No config file of the person running the tests is read.
const PtyProcess::Environment kNoConfigFile{{"XDG_CONFIG_HOME", "/nonexistent/chat-client-test"}};

}  // namespace

TEST_CASE("interactively, a guest lands in the default room, talks, and is told how it could create a room") {
  json config;
  config["rooms"]["default"] = nullptr;  // the embedded "#general", which the test harness turns off
  ServerProcess server(config);
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  expect_ok(bob.request("join", {{"room", "general"}}));

  PtyProcess client(client_args(server.port(), {"--guest", "--user", "tim"}), kNoConfigFile);
  REQUIRE_MESSAGE(client.wait_for_output("-- joined #general"), client.output());
  client.type("hello there\n");
  const auto msg = bob.wait_event([](const json& e) { return e.value("type", "") == "msg"; });
  CHECK(msg["from"] == "tim");
  CHECK(msg["text"] == "hello there");

  client.type("/create #mine\n");
  CHECK_MESSAGE(client.wait_for_output(
                    "error [forbidden] guests cannot create rooms on this server: register an account to create one"),
                client.output());
  client.type("/quit\n");
  const auto status = client.wait();
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
}

TEST_CASE("--no-autojoin keeps the client out of the default room") {
  json config;
  config["rooms"]["default"] = "#lobby";
  ServerProcess server(config);
  TestClient watcher(server.port());
  expect_ok(watcher.register_user("watcher"));
  expect_ok(watcher.request("join", {{"room", "lobby"}}));

  PtyProcess client(client_args(server.port(), {"--guest", "--user", "tim", "--no-autojoin"}), kNoConfigFile);
  REQUIRE_MESSAGE(client.wait_for_output("logged in as tim (guest)"), client.output());
  client.type("/who #lobby\n");
  REQUIRE_MESSAGE(client.wait_for_output("#lobby members: "), client.output());
  CHECK(client.output().find("joined #lobby") == std::string::npos);
  const auto members = expect_ok(watcher.request("members", {{"room", "lobby"}}))["members"];
  CHECK(members.size() == 1);
}

TEST_CASE("a mistyped password at the interactive login is asked again, and the right one logs in") {
  ServerProcess server;
  server.add_user("alice", "password123");
  PtyProcess client(client_args(server.port(), {"--user", "alice"}), kNoConfigFile);
  REQUIRE_MESSAGE(client.wait_for_output("Password for alice: "), client.output());
  client.type("not-my-password\n");
  REQUIRE_MESSAGE(client.wait_for_output("Password for alice (try 2 of 3): "), client.output());
  CHECK(client.output().find("login as alice failed: [unauthorized] wrong name or password") != std::string::npos);
  CHECK_FALSE(client.echo_on());
  client.type("password123\n");
  REQUIRE_MESSAGE(client.wait_for_output("logged in as alice"), client.output());
  client.type("/quit\n");
  const auto status = client.wait();
  INFO("terminal:\n" << client.output());
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(client.output().find("password123") == std::string::npos);
}

TEST_CASE("three wrong passwords at the interactive login end the client with status 4") {
  ServerProcess server;
  server.add_user("alice", "password123");
  PtyProcess client(client_args(server.port(), {"--user", "alice"}), kNoConfigFile);
  REQUIRE_MESSAGE(client.wait_for_output("Password for alice: "), client.output());
  client.type("wrong-one\n");
  REQUIRE_MESSAGE(client.wait_for_output("(try 2 of 3): "), client.output());
  client.type("wrong-two\n");
  REQUIRE_MESSAGE(client.wait_for_output("(try 3 of 3): "), client.output());
  client.type("wrong-three\n");
  const auto status = client.wait();
  INFO("terminal:\n" << client.output());
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 4);
  CHECK(count(client.output(), "login as alice failed") == 3);
  CHECK(client.output().find("try 4") == std::string::npos);
  CHECK(client.echo_on());
}

TEST_CASE("Enter while waiting to reconnect tries at once instead of after the backoff") {
  ServerProcess server;
  PtyProcess client(client_args(server.port(), {"--guest", "--user", "tim"}), kNoConfigFile);
  REQUIRE_MESSAGE(client.wait_for_output("logged in as tim"), client.output());
  server.terminate();
  REQUIRE_MESSAGE(client.wait_for_output("reconnecting in"), client.output());
  // By the backoff alone (0.5, 1, 2, 4, then 5 s, each varied by at most 20 %) the eighth attempt comes
  // 18 s after the first at the earliest; typed Enters bring each at once.
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 2; attempt <= 8; ++attempt) {
    client.type("\n");
    REQUIRE_MESSAGE(client.wait_for_output("(attempt " + std::to_string(attempt) + ")", std::chrono::seconds(5)),
                    client.output());
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
  client.type("/quit\n");
  CHECK(client.wait().has_value());
}
