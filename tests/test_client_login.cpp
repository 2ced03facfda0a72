// The real chat-client logging in on a terminal, against a real chat-server: it lands in the server's default
// room, shows a refusal with what would allow the action, and asks again for a mistyped password.
#include <doctest/doctest.h>

#include <sys/wait.h>

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
