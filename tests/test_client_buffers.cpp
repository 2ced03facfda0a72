// The real chat-client on terminals (tmux), two of them, against a real
// chat-server: alice and bob in #general, alice looking at her conversation
// with bob. What bob says in #general stays out of alice's screen and counts
// in her status line; a line naming her is a highlight and rings the bell;
// /window and Alt-2 bring #general back with its scrollback and clear the
// count; a line alice types shows once. Then /me and /whois, where the
// server supports them.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/client/client_process.hpp"
#include "tests/client/tmux.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using namespace chat::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string client_command(std::uint16_t port, const std::string& user, const std::string& extra = "") {
  const auto binary = (std::filesystem::path(CHAT_BINARY_DIR) / "client" / "chat-client").string();
  return binary + " --port " + std::to_string(port) + " --guest --user " + user +
         " --join general --no-autojoin --color never --utc " + extra;
}

// The screen from the last clear on: what a buffer switch printed.
std::string after_last_clear(const std::string& raw) {
  const auto at = raw.rfind("\033[2J");
  return at == std::string::npos ? raw : raw.substr(at);
}

// The room both clients join, made by a third user who stays out of the way.
void create_general(TestClient& owner) {
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "general"}}));
}

}  // namespace

TEST_CASE("buffers: unread counts, a highlight with the bell, switching by /window and Alt-2, own line once, /me, /whois") {
  ServerProcess server;
  TestClient owner(server.port());
  create_general(owner);
  Tmux alice(client_command(server.port(), "alice"), "alice");
  Tmux bob(client_command(server.port(), "bob"), "bob");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[2:#general]>"; }),
                  "screen:\n" << alice.screen());
  REQUIRE_MESSAGE(bob.wait_until([&] { return bob.input_line() == "[2:#general]>"; }), "screen:\n" << bob.screen());
  REQUIRE_MESSAGE(alice.wait_for_screen("#general -- bob joined"), "screen:\n" << alice.screen());

  // alice opens her conversation with bob: buffer 3, shown.
  alice.enter("/query bob");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[3:bob]>"; }), "screen:\n" << alice.screen());

  // bob talks in #general, which alice is not looking at.
  bob.enter("anyone about?");
  REQUIRE_MESSAGE(bob.wait_for_screen("#general <~bob> anyone about?"), "screen:\n" << bob.screen());
  CHECK_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[3:bob] 2:#general(1)>"; }),
                "screen:\n" << alice.screen());
  CHECK(alice.raw().find('\a') == std::string::npos);  // plain chatter: no bell
  bob.enter("ALICE, the build is green");
  CHECK_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[3:bob] 2:#general(2!)>"; }),
                "screen:\n" << alice.screen());
  CHECK_MESSAGE(alice.wait_until([&] { return alice.raw().find('\a') != std::string::npos; }), "no bell rang");
  // Neither line was printed into the conversation shown.
  CHECK(alice.raw().find("anyone about?") == std::string::npos);
  CHECK(alice.screen().find("build is green") == std::string::npos);

  // /window 2 shows #general with what came meanwhile, and clears the count.
  alice.enter("/window 2");
  CHECK_MESSAGE(alice.wait_until([&] {
    const auto screen = alice.screen();
    return alice.input_line() == "[2:#general]>" && screen.find("#general <~bob> anyone about?") != std::string::npos &&
           screen.find("#general <~bob> ALICE, the build is green") != std::string::npos;
  }), "screen:\n" << alice.screen());
  CHECK(alice.screen().find("-- joined #general") != std::string::npos);  // the scrollback from before too

  // alice's own line shows once: the server's echo, not also the typed line.
  alice.enter("my own line");
  REQUIRE_MESSAGE(alice.wait_for_screen("#general <~alice> my own line"), "screen:\n" << alice.screen());
  CHECK_MESSAGE(bob.wait_for_screen("#general <~alice> my own line"), "screen:\n" << bob.screen());
  CHECK(count(alice.screen(), "my own line") == 1);
  CHECK(alice.input_line() == "[2:#general]>");

  // A direct message while alice is in #general: a highlight on buffer 3.
  bob.enter("/msg alice psst");
  CHECK_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[2:#general] 3:bob(1!)>"; }),
                "screen:\n" << alice.screen());
  // Alt-3 shows the conversation, Alt-2 brings #general back, as /window did.
  alice.key("M-3");
  CHECK_MESSAGE(alice.wait_until([&] {
    return alice.input_line() == "[3:bob]>" && alice.screen().find("[dm ~bob -> alice] psst") != std::string::npos;
  }), "screen:\n" << alice.screen());
  bob.enter("back to the room");
  CHECK_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[3:bob] 2:#general(1)>"; }),
                "screen:\n" << alice.screen());
  alice.key("M-2");
  CHECK_MESSAGE(alice.wait_until([&] {
    return alice.input_line() == "[2:#general]>" &&
           after_last_clear(alice.raw()).find("#general <~bob> back to the room") != std::string::npos;
  }), "screen:\n" << alice.screen());
  // The switch reprinted the scrollback after clearing the screen.
  CHECK(after_last_clear(alice.raw()).find("#general <~alice> my own line") != std::string::npos);
  // In the conversation a plain line is a direct message to bob.
  alice.key("M-Right");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[3:bob]>"; }), "screen:\n" << alice.screen());
  alice.enter("a reply in private");
  CHECK_MESSAGE(bob.wait_until([&] { return bob.screen().find("[dm ~alice -> bob] a reply in private") != std::string::npos ||
                                            bob.input_line().find("3:alice(1!)") != std::string::npos; }),
                "screen:\n" << bob.screen());
  CHECK_MESSAGE(alice.wait_for_screen("[dm -> bob] a reply in private"), "screen:\n" << alice.screen());
  CHECK(count(alice.screen(), "a reply in private") == 1);

  // An action, shown as one on both sides, and whois.
  alice.key("M-2");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[2:#general]>"; }), "screen:\n" << alice.screen());
  alice.enter("/me waves");
  CHECK_MESSAGE(alice.wait_for_screen("#general * ~alice waves"), "screen:\n" << alice.screen());
  CHECK_MESSAGE(bob.wait_for_screen("#general * ~alice waves"), "screen:\n" << bob.screen());
  alice.enter("/whois bob");
  CHECK_MESSAGE(alice.wait_for_screen("-- bob is a guest, online; rooms in common: #general"),
                "screen:\n" << alice.screen());
  alice.enter("/whois nobody");
  CHECK_MESSAGE(alice.wait_for_screen("(whois nobody)"), "screen:\n" << alice.screen());

  alice.enter("/quit");
  bob.enter("/quit");
  CHECK(alice.wait_until([&] { return !alice.alive(); }));
  CHECK(bob.wait_until([&] { return !bob.alive(); }));
}

TEST_CASE("with --bell off a highlight marks the buffer but rings nothing") {
  ServerProcess server;
  TestClient owner(server.port());
  create_general(owner);
  Tmux alice(client_command(server.port(), "alice", "--bell off"), "alice");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[2:#general]>"; }),
                  "screen:\n" << alice.screen());
  alice.key("M-1");
  REQUIRE_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[1:status]>"; }), "screen:\n" << alice.screen());
  TestClient bob(server.port());
  expect_ok(bob.guest("bob"));
  expect_ok(bob.request("join", {{"room", "general"}}));
  expect_ok(bob.request("send", {{"room", "general"}, {"text", "alice?"}}));
  CHECK_MESSAGE(alice.wait_until([&] { return alice.input_line() == "[1:status] 2:#general(1!)>"; }),
                "screen:\n" << alice.screen());
  std::this_thread::sleep_for(200ms);
  const auto raw = alice.raw();
  CHECK(raw.find("2:#general(1!)") != std::string::npos);  // the raw output is there to look at
  CHECK(raw.find('\a') == std::string::npos);
  alice.enter("/quit");
  CHECK(alice.wait_until([&] { return !alice.alive(); }));
}
