// Guests and accounts are different principals, also under one name: a guest's name goes free when it leaves,
// and whoever takes it next — an account registered under it, or another guest — inherits nothing of the
// guest's, nor can pass for it.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

auto presence(std::string_view action, std::string_view user) {
  return [action, user](const Json& e) {
    return e["type"] == "presence" && e["action"] == action && e["user"] == user;
  };
}

auto msg_with_seq(std::int64_t seq) {
  return [seq](const Json& e) { return e["type"] == "msg" && e["seq"] == seq; };
}

}  // namespace

TEST_CASE("GuestNameTakeover: direct messages that waited for a guest never reach the account of its name") {
  ServerProcess server(
      Json({{"limits", {{"max_message_chars", 1000}, {"outbound_queue_bytes", 16384}, {"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  {
    // The guest never reads: once the kernel buffers are full its queue overflows and the server cuts it off.
    // The message that overflowed it, and any sent before its departure was complete, were never queued.
    TestClient ghost(server.port());
    expect_ok(ghost.guest("ghost"));
    int tiny = 4096;
    setsockopt(ghost.fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
    const std::string text(1000, 's');
    Json reply;
    for (int i = 0; i < 20000; ++i) {
      reply = alice.request("dm", {{"to", "ghost"}, {"text", text}, {"cid", "secret-" + std::to_string(i)}});
      if (reply["type"] != "ok") break;
    }
    REQUIRE(reply["code"] == "not_found");  // the guest is gone
  }
  TestClient heir(server.port());
  expect_ok(heir.register_user("ghost"));
  TestClient again(server.port());
  CHECK(expect_ok(again.login("ghost"))["pending_dms"] == 0);
  CHECK_FALSE(heir.next(500ms).has_value());
  CHECK_FALSE(again.next(100ms).has_value());
  // Nor after a restart.
  server.restart();
  TestClient later(server.port());
  CHECK(expect_ok(later.login("ghost"))["pending_dms"] == 0);
  CHECK_FALSE(later.next(300ms).has_value());
}

TEST_CASE("GuestCidReplay: an account's send is not dropped as a duplicate of a guest's message under its name") {
  ServerProcess server;
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "lobby"}}));
  std::int64_t guest_seq = 0;
  {
    TestClient guest(server.port());
    expect_ok(guest.guest("ghost"));
    expect_ok(guest.request("join", {{"room", "lobby"}}));
    guest_seq = expect_ok(guest.request("send", {{"room", "lobby"}, {"text", "from the guest"}, {"cid", "c-1"}}))["seq"]
                    .get<std::int64_t>();
  }
  owner.wait_event(presence("disconnect", "ghost"));

  TestClient heir(server.port());
  expect_ok(heir.register_user("ghost"));
  expect_ok(heir.request("join", {{"room", "lobby"}}));
  const auto sent = expect_ok(heir.request("send", {{"room", "lobby"}, {"text", "from the account"}, {"cid", "c-1"}}));
  CHECK_FALSE(sent.contains("duplicate"));
  CHECK(sent["seq"] == guest_seq + 1);
  CHECK(owner.wait_event(msg_with_seq(guest_seq + 1))["text"] == "from the account");

  // The account's own retry is still recognised, from memory and, after a restart, from the database.
  const auto retry = expect_ok(heir.request("send", {{"room", "lobby"}, {"text", "from the account"}, {"cid", "c-1"}}));
  CHECK(retry["duplicate"] == true);
  CHECK(retry["seq"] == guest_seq + 1);
  server.restart();
  TestClient back(server.port());
  expect_ok(back.login("ghost"));
  const auto after = expect_ok(back.request("send", {{"room", "lobby"}, {"text", "from the account"}, {"cid", "c-1"}}));
  CHECK(after["duplicate"] == true);
  CHECK(after["seq"] == guest_seq + 1);
}

TEST_CASE("GuestImpersonation: msg events, history and dm events mark a guest sender") {
  ServerProcess server;
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "lobby"}}));
  std::int64_t guest_seq = 0;
  {
    TestClient guest(server.port());
    expect_ok(guest.guest("ghost"));
    expect_ok(guest.request("join", {{"room", "lobby"}}));
    const auto sent = expect_ok(guest.request("send", {{"room", "lobby"}, {"text", "I am ghost"}}));
    guest_seq = sent["seq"].get<std::int64_t>();
    const auto live = owner.wait_event(msg_with_seq(guest_seq));
    CHECK(live["from"] == "ghost");
    CHECK(live["guest"] == true);
    expect_ok(guest.request("dm", {{"to", "owner"}, {"text", "psst"}}));
    const auto dm = owner.wait_event("dm");
    CHECK(dm["from"] == "ghost");
    CHECK(dm["guest"] == true);
  }
  owner.wait_event(presence("disconnect", "ghost"));

  TestClient heir(server.port());
  expect_ok(heir.register_user("ghost"));
  expect_ok(heir.request("join", {{"room", "lobby"}}));
  const auto seq = expect_ok(heir.request("send", {{"room", "lobby"}, {"text", "I am ghost too"}}))["seq"];
  CHECK_FALSE(owner.wait_event(msg_with_seq(seq.get<std::int64_t>())).contains("guest"));
  expect_ok(heir.request("dm", {{"to", "owner"}, {"text", "hello"}}));
  CHECK_FALSE(owner.wait_event("dm").contains("guest"));

  const auto history = expect_ok(owner.request("history", {{"room", "lobby"}}))["messages"];
  REQUIRE(history.size() == 2);
  CHECK(history[0]["from"] == "ghost");
  CHECK(history[0]["guest"] == true);
  CHECK(history[1]["from"] == "ghost");
  CHECK_FALSE(history[1].contains("guest"));
  // A join's replay marks it the same way.
  TestClient reader(server.port());
  expect_ok(reader.register_user("reader"));
  expect_ok(reader.request("join", {{"room", "lobby"}, {"since", 0}}));
  CHECK(reader.wait_event(msg_with_seq(guest_seq))["guest"] == true);
}
