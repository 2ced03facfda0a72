// Actions (IRC's /me) through the real server: a message of kind "action" says so wherever it is shown — live,
// in history, in a join's replay, as a dm, after a restart — and a text message's events are what they were.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

Json msg_with_seq(TestClient& client, const Json& seq) {
  return client.wait_event([&](const Json& e) { return e.value("type", "") == "msg" && e["seq"] == seq; });
}

std::set<std::string> keys_of(const Json& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.insert(key);
  return keys;
}

// Seqs 1..3 of "general" as the action test sends them: text, action, text with an explicit kind.
void check_kinds(const Json& first, const Json& second, const Json& third) {
  CHECK_FALSE(first.contains("kind"));
  CHECK(second["kind"] == "action");
  CHECK(second["text"] == "waves");
  CHECK_FALSE(third.contains("kind"));
}

// Every msg replayed by a join with since 0, then the join's reply.
std::vector<Json> replay_all(TestClient& client) {
  const auto joined = expect_ok(client.request("join", {{"room", "general"}, {"since", 0}}));
  std::vector<Json> replayed;
  for (auto& event : client.events()) {
    if (event.value("type", "") == "msg" && event.value("replay", false)) replayed.push_back(event);
  }
  client.events().clear();
  CHECK(replayed.size() == joined["replayed"].get<std::size_t>());
  return replayed;
}

}  // namespace

TEST_CASE("an action is one live, in history and in a join's replay, also after a restart") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  expect_ok(bob.request("join", {{"room", "general"}}));

  const auto plain = expect_ok(alice.request("send", {{"room", "general"}, {"text", "hello"}}));
  const auto action =
      expect_ok(alice.request("send", {{"room", "general"}, {"text", "waves"}, {"kind", "action"}, {"cid", "a-1"}}));
  const auto explicit_text =
      expect_ok(alice.request("send", {{"room", "general"}, {"text", "bye"}, {"kind", "text"}}));
  CHECK_FALSE(action.contains("kind"));  // the acknowledgement carries no kind

  // Live: a text message's event has exactly the fields it had before kinds existed.
  const auto live_plain = msg_with_seq(bob, plain["seq"]);
  CHECK(keys_of(live_plain) == std::set<std::string>{"from", "room", "seq", "text", "ts", "type"});
  const auto live_action = msg_with_seq(bob, action["seq"]);
  CHECK(keys_of(live_action) == std::set<std::string>{"cid", "from", "kind", "room", "seq", "text", "ts", "type"});
  check_kinds(live_plain, live_action, msg_with_seq(bob, explicit_text["seq"]));
  check_kinds(msg_with_seq(alice, plain["seq"]), msg_with_seq(alice, action["seq"]),
              msg_with_seq(alice, explicit_text["seq"]));

  // A retry of the action by its cid is the original, and is not shown again.
  const auto retry =
      expect_ok(alice.request("send", {{"room", "general"}, {"text", "waves"}, {"kind", "action"}, {"cid", "a-1"}}));
  CHECK(retry["duplicate"] == true);
  CHECK(retry["seq"] == action["seq"]);

  const auto check_stored = [](TestClient& reader) {
    const auto page = expect_ok(reader.request("history", {{"room", "general"}}))["messages"];
    REQUIRE(page.size() == 3);
    check_kinds(page[0], page[1], page[2]);
    const auto replayed = replay_all(reader);
    REQUIRE(replayed.size() == 3);
    check_kinds(replayed[0], replayed[1], replayed[2]);
  };
  check_stored(bob);
  CHECK_FALSE(bob.next(200ms).has_value());  // the retry was broadcast to nobody

  server.restart();
  TestClient again(server.port());
  expect_ok(again.login("bob"));
  check_stored(again);
  // The cid still names the action after the restart.
  TestClient alice_again(server.port());
  expect_ok(alice_again.login("alice"));
  const auto late_retry = expect_ok(
      alice_again.request("send", {{"room", "general"}, {"text", "waves"}, {"kind", "action"}, {"cid", "a-1"}}));
  CHECK(late_retry["duplicate"] == true);
  CHECK(late_retry["seq"] == action["seq"]);
}

TEST_CASE("an action dm says so, live and when it waited for the recipient's log-in") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));

  const auto action = expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "shrugs"}, {"kind", "action"}}));
  CHECK_FALSE(action.contains("kind"));
  const auto live = bob.wait_event("dm");
  CHECK(live["dm_id"] == action["dm_id"]);
  CHECK(live["kind"] == "action");
  CHECK(live["text"] == "shrugs");
  expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "hi"}}));
  const auto plain = bob.wait_event("dm");
  CHECK(keys_of(plain) == std::set<std::string>{"dm_id", "from", "text", "to", "ts", "type"});

  expect_ok(bob.request("logout"));
  expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "waits"}, {"kind", "action"}, {"cid", "d-1"}}));
  expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "plain"}, {"kind", "text"}}));
  const auto retry =
      expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "waits"}, {"kind", "action"}, {"cid", "d-1"}}));
  CHECK(retry["duplicate"] == true);
  CHECK(expect_ok(bob.login("bob"))["pending_dms"] == 2);
  const auto waited = bob.wait_event("dm");
  CHECK(waited["text"] == "waits");
  CHECK(waited["kind"] == "action");
  const auto waited_plain = bob.wait_event("dm");
  CHECK(waited_plain["text"] == "plain");
  CHECK_FALSE(waited_plain.contains("kind"));
}

TEST_CASE("BadKind: any kind but text or action gets one bad_request, and nothing is stored or shown") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  expect_ok(bob.request("join", {{"room", "general"}}));

  for (const Json& kind : {Json("emote"), Json("Action"), Json(""), Json(1), Json(true), Json(nullptr),
                           Json::array({"action"}), Json::object({{"kind", "action"}})}) {
    CAPTURE(kind.dump());
    const auto send = alice.request("send", {{"room", "general"}, {"text", "x"}, {"kind", kind}});
    CHECK(send["type"] == "error");
    CHECK(send["code"] == "bad_request");
    CHECK(send["op"] == "send");
    const auto dm = alice.request("dm", {{"to", "bob"}, {"text", "x"}, {"kind", kind}});
    CHECK(dm["type"] == "error");
    CHECK(dm["code"] == "bad_request");
    CHECK(dm["op"] == "dm");
  }
  // One reply each: nothing else came, to the sender or to anyone (alice kept only bob's presence).
  CHECK_FALSE(alice.next(300ms).has_value());
  CHECK_FALSE(bob.next(100ms).has_value());
  for (auto* client : {&alice, &bob}) {
    for (const auto& event : client->events()) {
      CAPTURE(event.dump());
      CHECK(event.value("type", "") == "presence");
    }
  }
  CHECK(expect_ok(bob.request("history", {{"room", "general"}}))["messages"].empty());
  CHECK(expect_ok(bob.request("logout")).is_object());
  CHECK(expect_ok(bob.login("bob"))["pending_dms"] == 0);
}
