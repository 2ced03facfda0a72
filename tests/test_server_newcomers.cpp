// What a newcomer meets on a fresh server: a room to talk in, room creation as the configuration allows it,
// and refusals that say what would allow the action.
#include <doctest/doctest.h>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;

namespace {

// The embedded default (rooms.default "#general"), which the test harness turns off for other tests.
Json default_room_on(Json config = Json::object()) {
  config["rooms"]["default"] = nullptr;  // merge_patch: null removes the harness's "" and the default applies
  return config;
}

}  // namespace

TEST_CASE("a fresh server has #general: a guest is pointed to it, joins and talks in it") {
  ServerProcess server(default_room_on());
  TestClient visitor(server.port());
  const auto login = expect_ok(visitor.guest("visitor"));
  CHECK(login["default_room"] == "general");
  const auto rooms = expect_ok(visitor.request("rooms"))["rooms"];
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0]["room"] == "general");

  const auto joined = expect_ok(visitor.request("join", {{"room", "#general"}}));
  CHECK(joined["owner"] == "");  // no account owns it
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  expect_ok(bob.request("join", {{"room", "general"}}));
  const auto sent = expect_ok(visitor.request("send", {{"room", "general"}, {"text", "hello"}}));
  CHECK(sent["seq"] == 1);
  const auto msg = bob.wait_event([](const Json& e) { return e.value("type", "") == "msg"; });
  CHECK(msg["from"] == "visitor");
  CHECK(msg["text"] == "hello");

  // Created once: a restart finds it with its history, and does not make it again.
  REQUIRE(server.terminate() == 0);
  server.restart();
  TestClient again(server.port());
  CHECK(expect_ok(again.register_user("carol"))["default_room"] == "general");
  CHECK(expect_ok(again.request("join", {{"room", "general"}}))["last_seq"] == 1);
  CHECK(server.log().find("created the default room #general") != std::string::npos);
}

TEST_CASE("rooms.default names another room, or none") {
  SUBCASE("another room") {
    ServerProcess server(Json{{"rooms", {{"default", "#Lobby"}}}});
    TestClient visitor(server.port());
    CHECK(expect_ok(visitor.guest("visitor"))["default_room"] == "lobby");
    expect_ok(visitor.request("join", {{"room", "lobby"}}));
    CHECK(visitor.request("join", {{"room", "general"}})["code"] == "not_found");
  }
  SUBCASE("none") {
    ServerProcess server(Json{{"rooms", {{"default", ""}}}});
    TestClient visitor(server.port());
    CHECK_FALSE(expect_ok(visitor.guest("visitor")).contains("default_room"));
    CHECK(expect_ok(visitor.request("rooms"))["rooms"].empty());
  }
}

TEST_CASE("rooms.guests_can_create: off, a guest is told to register; on, a guest creates a room it owns while "
          "it stays") {
  SUBCASE("off (the default)") {
    ServerProcess server;
    TestClient visitor(server.port());
    expect_ok(visitor.guest("visitor"));
    const auto refused = visitor.request("create", {{"room", "mine"}});
    CHECK(refused["code"] == "forbidden");
    CHECK(refused["message"] == "guests cannot create rooms on this server: register an account to create one");
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    CHECK(expect_ok(alice.request("create", {{"room", "mine"}}))["owner"] == "alice");
  }
  SUBCASE("on") {
    ServerProcess server(Json{{"rooms", {{"guests_can_create", true}}}});
    TestClient visitor(server.port());
    expect_ok(visitor.guest("visitor"));
    const auto created = expect_ok(visitor.request("create", {{"room", "mine"}, {"topic", "guests welcome"}}));
    CHECK(created["owner"] == "");  // the name is anyone's once the guest is gone
    expect_ok(visitor.request("topic", {{"room", "mine"}, {"topic", "still mine"}}));
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("join", {{"room", "mine"}}));
    expect_ok(visitor.request("kick", {{"room", "mine"}, {"user", "bob"}}));
  }
}

TEST_CASE("every forbidden says what would allow the action") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  expect_ok(alice.request("create", {{"room", "den"}}));
  expect_ok(alice.request("create", {{"room", "secret"}, {"private", true}}));

  const auto message_of = [](const Json& reply) {
    CHECK(reply["code"] == "forbidden");
    return reply.value("message", "");
  };
  CHECK(message_of(bob.request("send", {{"room", "den"}, {"text", "hi"}})) == "not a member of 'den': join it first");
  CHECK(message_of(bob.request("join", {{"room", "secret"}})) ==
        "room 'secret' is invite-only: its owner or a moderator can invite you");
  CHECK(message_of(bob.request("members", {{"room", "secret"}})) ==
        "room 'secret' is private: its owner or a moderator can invite you");
  expect_ok(bob.request("join", {{"room", "den"}}));
  CHECK(message_of(bob.request("topic", {{"room", "den"}, {"topic", "mine now"}})) ==
        "only the moderators of 'den' may set the topic: its owner can make you one");
  CHECK(message_of(bob.request("moderator", {{"room", "den"}, {"user", "bob"}})) ==
        "only the owner of 'den' or a server administrator may appoint moderators");
  // Who owns a private room is not told to those outside it.
  CHECK(message_of(bob.request("kick", {{"room", "secret"}, {"user", "alice"}})) ==
        "room 'secret' is private: its owner or a moderator can invite you");
  expect_ok(alice.request("ban", {{"room", "den"}, {"user", "bob"}}));
  CHECK(message_of(bob.request("join", {{"room", "den"}})) ==
        "you are banned from 'den': only its moderators can lift the ban");
  CHECK(message_of(bob.request("stats")).ends_with("`chat-server user set-admin NAME on`"));

  ServerProcess no_guests(Json{{"auth", {{"allow_guests", false}}}});
  TestClient visitor(no_guests.port());
  CHECK(message_of(visitor.guest("visitor")) ==
        "guests are not allowed on this server: log in with an account, or register one");
}

TEST_CASE("the default room has no owner: a server administrator moderates it, and a refusal says so") {
  ServerProcess server(default_room_on());
  server.add_admin("root");
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("join", {{"room", "general"}}));
  const auto refused = alice.request("topic", {{"room", "general"}, {"topic", "mine"}});
  CHECK(refused["code"] == "forbidden");
  CHECK(refused["message"] == "only the moderators of 'general' may set the topic: a server administrator can make you one");

  // Flood attack in the default room: an administrator stands in for the owner it lacks.
  TestClient flooder(server.port());
  expect_ok(flooder.guest("flooder"));
  expect_ok(flooder.request("join", {{"room", "general"}}));
  TestClient root(server.port());
  expect_ok(root.login("root"));
  expect_ok(root.request("topic", {{"room", "general"}, {"topic", "be kind"}}));
  expect_ok(root.request("ban", {{"room", "general"}, {"user", "flooder"}}));
  CHECK(flooder.request("send", {{"room", "general"}, {"text", "spam"}})["code"] == "forbidden");
  expect_ok(root.request("moderator", {{"room", "general"}, {"user", "alice"}}));
  expect_ok(alice.request("topic", {{"room", "general"}, {"topic", "moderated"}}));
  // The right is read at each call: revoked by the operator, it is gone at once.
  REQUIRE(server.run_user_command({"set-admin", "root", "off"}) == 0);
  CHECK(root.request("unban", {{"room", "general"}, {"user", "flooder"}})["code"] == "forbidden");
}
