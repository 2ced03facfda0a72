// The real chat-client on a terminal (tmux), against a real chat-server:
// a message that arrives while the user is typing is printed above the
// input line, and the half-typed line survives intact; Tab completes
// commands, rooms and user names.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <functional>
#include <thread>

#include "tests/client/client_process.hpp"
#include "tests/client/tmux.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using namespace chat::test;
using namespace std::chrono_literals;
using nlohmann::json;


TEST_CASE("a message arriving mid-typing prints above the prompt and the typed text survives") {
  ServerProcess server;
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "lobby"}}));

  const std::string client = (std::filesystem::path(CHAT_BINARY_DIR) / "client" / "chat-client").string();
  Tmux tmux(client + " --port " + std::to_string(server.port()) +
            " --guest --user tim --join lobby --color never --utc");
  REQUIRE_MESSAGE(tmux.wait_until([&] {
    return tmux.screen().find("-- joined #lobby") != std::string::npos && tmux.input_line() == "[2:#lobby]>";
  }), "screen:\n" << tmux.screen());

  tmux.type("half a li");
  REQUIRE_MESSAGE(tmux.wait_until([&] { return tmux.input_line() == "[2:#lobby]> half a li"; }),
                  "screen:\n" << tmux.screen());

  expect_ok(owner.request("send", {{"room", "lobby"}, {"text", "incoming while typing"}}));
  const bool redrawn = tmux.wait_until([&] {
    return tmux.screen().find("#lobby <owner> incoming while typing") != std::string::npos &&
           tmux.input_line() == "[2:#lobby]> half a li";
  });
  const auto screen = tmux.screen();
  INFO("screen:\n" << screen);
  REQUIRE(redrawn);
  CHECK(count(screen, "half a li") == 1);  // no stale copy of the input line left behind
  CHECK(screen.find("incoming while typing") < screen.find("[2:#lobby]> half a li"));

  // The buffer itself, not just the screen, is intact: finishing the line sends it whole.
  tmux.type("ne");
  tmux.key("Enter");
  const auto sent = owner.wait_event(
      [](const json& e) { return e.value("type", "") == "msg" && e.value("text", "") == "half a line"; });
  CHECK(sent.value("from", "") == "tim");
  CHECK(tmux.wait_until([&] { return tmux.screen().find("#lobby <~tim> half a line") != std::string::npos; }));

  // Tab completes commands and rooms.
  tmux.type("/swi");
  tmux.key("Tab");
  tmux.type("#lob");
  tmux.key("Tab");
  CHECK_MESSAGE(tmux.wait_until([&] { return tmux.input_line() == "[2:#lobby]> /switch #lobby"; }),
                "screen:\n" << tmux.screen());
  tmux.key("Enter");

  // ... and user names the client has come across: owner wrote in #lobby.
  tmux.type("/msg ow");
  tmux.key("Tab");
  tmux.type("lunch?");
  CHECK_MESSAGE(tmux.wait_until([&] { return tmux.input_line() == "[2:#lobby]> /msg owner lunch?"; }),
                "screen:\n" << tmux.screen());
  tmux.key("Enter");
  const auto dm = owner.wait_event([](const json& e) { return e.value("type", "") == "dm"; });
  CHECK(dm.value("from", "") == "tim");
  CHECK(dm.value("text", "") == "lunch?");
  tmux.type("thanks ow");
  tmux.key("Tab");
  CHECK_MESSAGE(tmux.wait_until([&] { return tmux.input_line() == "[2:#lobby]> thanks owner"; }),
                "screen:\n" << tmux.screen());
  tmux.key("C-u");

  tmux.type("/quit");
  tmux.key("Enter");
  CHECK_MESSAGE(tmux.wait_until([&] { return !tmux.alive(); }), "screen:\n" << tmux.screen());
}
