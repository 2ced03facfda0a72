// The chat server end to end: real process, real sockets, the documented protocol.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

bool is_msg(const Json& event, std::string_view room) {
  return event.value("type", "") == "msg" && event.value("room", "") == room;
}

std::vector<std::int64_t> collect_seqs(TestClient& client, std::string_view room, std::size_t count) {
  std::vector<std::int64_t> seqs;
  while (seqs.size() < count) {
    seqs.push_back(client.wait_event([&](const Json& e) { return is_msg(e, room); })["seq"].get<std::int64_t>());
  }
  return seqs;
}

}  // namespace

TEST_CASE("hello, ping and nothing but log-in before log-in") {
  ServerProcess server;
  TestClient client(server.port());
  CHECK(client.hello()["type"] == "hello");
  CHECK(client.hello()["protocol"] == 1);
  auto pong = client.request("ping");
  CHECK(pong["type"] == "pong");
  CHECK(pong["time"].get<std::int64_t>() > 0);
  for (const auto* op : {"join", "send", "rooms", "create", "history", "dm", "logout", "stats", "members"}) {
    auto reply = client.request(op, {{"room", "general"}, {"text", "x"}, {"to", "bob"}});
    CHECK_MESSAGE(reply["code"] == "unauthorized", op);
  }
}

TEST_CASE("two clients chat and see the same seq order") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("Bob"));
  CHECK(bob.request("rooms")["rooms"].empty());

  auto created = expect_ok(alice.request("create", {{"room", "#General"}, {"topic", "hi all"}}));
  CHECK(created["room"] == "general");
  CHECK(created["owner"] == "alice");
  auto joined = expect_ok(bob.request("join", {{"room", "general"}}));
  CHECK(joined["topic"] == "hi all");
  CHECK(alice.wait_event([](const Json& e) { return e["type"] == "presence" && e["user"] == "bob"; })["action"] ==
        "join");

  constexpr int kEach = 50;
  for (int i = 0; i < kEach; ++i) {
    alice.send({{"op", "send"}, {"room", "general"}, {"text", "a" + std::to_string(i)}});
    bob.send({{"op", "send"}, {"room", "general"}, {"text", "b" + std::to_string(i)}});
  }
  const auto alice_seqs = collect_seqs(alice, "general", 2 * kEach);
  const auto bob_seqs = collect_seqs(bob, "general", 2 * kEach);
  CHECK(alice_seqs == bob_seqs);
  for (std::size_t i = 0; i < alice_seqs.size(); ++i) CHECK(alice_seqs[i] == static_cast<std::int64_t>(i + 1));

  auto reply = expect_ok(alice.request("send", {{"room", "general"}, {"text", "last"}}));
  CHECK(reply["seq"] == 2 * kEach + 1);
  auto rooms = expect_ok(bob.request("rooms"))["rooms"];
  REQUIRE(rooms.size() == 1);
  CHECK(rooms[0]["members"] == 2);
  CHECK(rooms[0]["online"] == 2);
  auto members = expect_ok(bob.request("members", {{"room", "general"}}))["members"];
  REQUIRE(members.size() == 2);
  CHECK(members[0]["user"] == "alice");
  CHECK(members[0]["role"] == "owner");
}

TEST_CASE("per-room order holds with many senders in many rooms") {
  ServerProcess server(Json({{"pool", {{"min_threads", 4}, {"max_threads", 8}}}}));
  constexpr int kRooms = 4;
  constexpr int kPerRoom = 3;
  constexpr int kMessages = 40;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int r = 0; r < kRooms; ++r) {
    for (int c = 0; c < kPerRoom; ++c) {
      auto client = std::make_unique<TestClient>(server.port());
      expect_ok(client->guest("g" + std::to_string(r) + "_" + std::to_string(c)));
      clients.push_back(std::move(client));
    }
  }
  // Guests cannot create rooms: a registered owner creates them.
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  for (int r = 0; r < kRooms; ++r) expect_ok(owner.request("create", {{"room", "r" + std::to_string(r)}}));
  for (int i = 0; i < kRooms * kPerRoom; ++i) {
    expect_ok(clients[i]->request("join", {{"room", "r" + std::to_string(i / kPerRoom)}}));
  }
  for (int m = 0; m < kMessages; ++m) {
    for (int i = 0; i < kRooms * kPerRoom; ++i) {
      clients[i]->send({{"op", "send"}, {"room", "r" + std::to_string(i / kPerRoom)}, {"text", std::to_string(m)}});
    }
  }
  for (int i = 0; i < kRooms * kPerRoom; ++i) {
    const auto room = "r" + std::to_string(i / kPerRoom);
    const auto seqs = collect_seqs(*clients[i], room, kPerRoom * kMessages);
    for (std::size_t k = 0; k < seqs.size(); ++k) REQUIRE(seqs[k] == static_cast<std::int64_t>(k + 1));
  }
}

TEST_CASE("resume with since after a reconnect misses nothing and repeats nothing") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  std::int64_t last_seen = 0;
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("join", {{"room", "general"}}));
    for (int i = 0; i < 5; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", std::to_string(i)}}));
    last_seen = collect_seqs(bob, "general", 5).back();
  }
  for (int i = 5; i < 12; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", std::to_string(i)}}));

  TestClient bob(server.port());
  auto login = expect_ok(bob.login("bob"));
  REQUIRE(login["rooms"].size() == 1);
  CHECK(login["rooms"][0]["last_seq"] == 12);
  // Messages keep flowing while bob resumes.
  alice.send({{"op", "send"}, {"room", "general"}, {"text", "during"}});
  auto joined = expect_ok(bob.request("join", {{"room", "general"}, {"since", last_seen}}));
  alice.send({{"op", "send"}, {"room", "general"}, {"text", "after"}});
  std::vector<std::int64_t> seen;
  for (const auto& event : bob.events()) {
    if (is_msg(event, "general")) seen.push_back(event["seq"]);
  }
  bob.events().clear();
  CHECK(joined["replayed"].get<std::size_t>() == seen.size());
  const auto later = collect_seqs(bob, "general", static_cast<std::size_t>(14 - last_seen) - seen.size());
  seen.insert(seen.end(), later.begin(), later.end());
  std::vector<std::int64_t> expected;
  for (std::int64_t s = last_seen + 1; s <= 14; ++s) expected.push_back(s);
  CHECK(seen == expected);
  CHECK_FALSE(bob.next(300ms).has_value());
}

TEST_CASE("a retried client message id is stored and delivered once") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  auto first = expect_ok(alice.request("send", {{"room", "general"}, {"text", "once"}, {"cid", "c-1"}}));
  auto retry = expect_ok(alice.request("send", {{"room", "general"}, {"text", "once"}, {"cid", "c-1"}}));
  CHECK(retry["seq"] == first["seq"]);
  CHECK(retry["duplicate"] == true);
  auto other = expect_ok(alice.request("send", {{"room", "general"}, {"text", "twice"}, {"cid", "c-2"}}));
  CHECK(other["seq"] == first["seq"].get<int>() + 1);
  auto history = expect_ok(alice.request("history", {{"room", "general"}}))["messages"];
  CHECK(history.size() == 2);
  // And after a restart, from the database.
  server.restart();
  TestClient again(server.port());
  expect_ok(again.login("alice"));
  auto after_restart = expect_ok(again.request("send", {{"room", "general"}, {"text", "once"}, {"cid", "c-1"}}));
  CHECK(after_restart["seq"] == first["seq"]);
  CHECK(after_restart["duplicate"] == true);
  CHECK(expect_ok(again.request("history", {{"room", "general"}}))["messages"].size() == 2);
}

TEST_CASE("a direct message to an offline user arrives at login") {
  ServerProcess server;
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
  }
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  auto sent = expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "are you there?"}}));
  CHECK(sent["dm_id"].get<std::int64_t>() > 0);
  CHECK(alice.request("dm", {{"to", "nobody"}, {"text", "x"}})["code"] == "not_found");

  TestClient bob(server.port());
  auto login = expect_ok(bob.login("bob"));
  CHECK(login["pending_dms"] == 1);
  auto dm = bob.wait_event("dm");
  CHECK(dm["from"] == "alice");
  CHECK(dm["text"] == "are you there?");
  // Live now, and not delivered again at the next login.
  expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "live"}}));
  CHECK(bob.wait_event("dm")["text"] == "live");
  TestClient bob2(server.port());
  CHECK(expect_ok(bob2.login("bob"))["pending_dms"] == 0);
}

TEST_CASE("history pages backwards and forwards, for members only") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  for (int i = 1; i <= 30; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", std::to_string(i)}}));
  auto latest = expect_ok(alice.request("history", {{"room", "general"}, {"limit", 10}}))["messages"];
  REQUIRE(latest.size() == 10);
  CHECK(latest.front()["seq"] == 21);
  CHECK(latest.back()["seq"] == 30);
  auto older = expect_ok(alice.request("history", {{"room", "general"}, {"before", 21}, {"limit", 10}}))["messages"];
  CHECK(older.front()["seq"] == 11);
  CHECK(older.back()["seq"] == 20);
  CHECK(older.front()["text"] == "11");
  auto forward = expect_ok(alice.request("history", {{"room", "general"}, {"after", 5}, {"limit", 3}}))["messages"];
  CHECK(forward.front()["seq"] == 6);
  CHECK(forward.back()["seq"] == 8);
  CHECK(alice.request("history", {{"room", "general"}, {"limit", 101}})["code"] == "bad_request");
  CHECK(alice.request("history", {{"room", "general"}, {"limit", 0}})["code"] == "bad_request");

  TestClient eve(server.port());
  expect_ok(eve.register_user("eve"));
  CHECK(eve.request("history", {{"room", "general"}})["code"] == "forbidden");
  CHECK(eve.request("history", {{"room", "nowhere"}})["code"] == "not_found");
}

TEST_CASE("a private room refuses a user who was not invited") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  TestClient eve(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  expect_ok(eve.register_user("eve"));
  expect_ok(alice.request("create", {{"room", "secret"}, {"private", true}}));
  CHECK(eve.request("join", {{"room", "secret"}})["code"] == "forbidden");
  CHECK(eve.request("members", {{"room", "secret"}})["code"] == "forbidden");
  const auto visible = expect_ok(eve.request("rooms"))["rooms"];
  for (const auto& room : visible) CHECK(room["room"] != "secret");
  CHECK(eve.request("invite", {{"room", "secret"}, {"user", "eve"}})["code"] == "forbidden");
  expect_ok(alice.request("invite", {{"room", "secret"}, {"user", "bob"}}));
  CHECK(bob.wait_event("invited")["room"] == "secret");
  expect_ok(bob.request("join", {{"room", "secret"}}));
  CHECK(alice.request("invite", {{"room", "secret"}, {"user", "ghost"}})["code"] == "not_found");
}

TEST_CASE("kick and ban by the owner; a plain member cannot") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  TestClient mallory(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  expect_ok(mallory.register_user("mallory"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  expect_ok(bob.request("join", {{"room", "general"}}));
  expect_ok(mallory.request("join", {{"room", "general"}}));

  CHECK(bob.request("kick", {{"room", "general"}, {"user", "mallory"}})["code"] == "forbidden");
  CHECK(mallory.request("kick", {{"room", "general"}, {"user", "alice"}})["code"] == "forbidden");
  expect_ok(alice.request("kick", {{"room", "general"}, {"user", "mallory"}, {"reason", "spam"}}));
  auto kicked = mallory.wait_event("kicked");
  CHECK(kicked["room"] == "general");
  CHECK(kicked["reason"] == "spam");
  CHECK(mallory.request("send", {{"room", "general"}, {"text", "still here?"}})["code"] == "forbidden");
  expect_ok(mallory.request("join", {{"room", "general"}}));  // a kick is not a ban

  expect_ok(alice.request("ban", {{"room", "general"}, {"user", "mallory"}}));
  CHECK(mallory.wait_event("banned")["room"] == "general");
  CHECK(mallory.request("join", {{"room", "general"}})["code"] == "forbidden");
  expect_ok(alice.request("send", {{"room", "general"}, {"text", "after the ban"}}));
  CHECK(bob.wait_event([](const Json& e) { return e["type"] == "msg"; })["text"] == "after the ban");
  CHECK_FALSE(mallory.next(200ms).has_value());

  // A moderator may kick members but not the owner.
  CHECK(bob.request("moderator", {{"room", "general"}, {"user", "bob"}})["code"] == "forbidden");
  expect_ok(alice.request("moderator", {{"room", "general"}, {"user", "bob"}, {"grant", true}}));
  CHECK(bob.request("kick", {{"room", "general"}, {"user", "alice"}})["code"] == "forbidden");
  expect_ok(bob.request("unban", {{"room", "general"}, {"user", "mallory"}}));
  expect_ok(mallory.request("join", {{"room", "general"}}));
  CHECK(bob.request("unban", {{"room", "general"}, {"user", "mallory"}})["code"] == "not_found");
}

TEST_CASE("guests: names are exclusive, cannot take registered names, vanish on disconnect") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "lobby"}}));
  TestClient guest(server.port());
  CHECK(guest.guest("alice")["code"] == "conflict");
  auto ok = expect_ok(guest.guest("Visitor"));
  CHECK(ok["user"] == "visitor");
  CHECK(ok["guest"] == true);
  TestClient same(server.port());
  CHECK(same.guest("visitor")["code"] == "conflict");
  CHECK(same.register_user("visitor")["code"] == "conflict");
  CHECK(guest.request("create", {{"room", "mine"}})["code"] == "forbidden");
  expect_ok(guest.request("join", {{"room", "lobby"}}));
  CHECK(guest.guest("again")["code"] == "conflict");
  expect_ok(guest.request("logout"));
  CHECK(alice.wait_event([](const Json& e) { return e["type"] == "presence" && e["action"] == "disconnect"; })["user"] ==
        "visitor");
  expect_ok(same.guest("visitor"));
}

TEST_CASE("login failures and admin-only stats") {
  ServerProcess server;
  TestClient client(server.port());
  expect_ok(client.register_user("carol"));
  TestClient other(server.port());
  CHECK(other.login("carol", "wrong password")["code"] == "unauthorized");
  CHECK(other.login("nobody", "password123")["code"] == "unauthorized");
  CHECK(other.register_user("carol")["code"] == "conflict");
  CHECK(other.register_user("x y")["code"] == "bad_request");
  CHECK(other.register_user("dave", "short")["code"] == "bad_request");
  expect_ok(other.login("carol"));
  CHECK(other.login("carol")["code"] == "conflict");
  CHECK(other.request("stats")["code"] == "forbidden");

  server.add_admin("admin");
  TestClient admin(server.port());
  CHECK(expect_ok(admin.login("admin"))["admin"] == true);
  auto stats = expect_ok(admin.request("stats"));
  CHECK(stats["connections"] == 3);
  CHECK(stats["users_online"] == 2);
  CHECK(stats["pool"]["submitted"].get<int>() > 0);
  CHECK(stats["checkpoints"]["failed"] == 0);
  CHECK(stats["checkpoints"]["wal_pages"].get<int>() > 0);  // the registrations were committed
  CHECK(stats["disconnects"].contains("slow_consumer"));
}

TEST_CASE("topic, leave and presence: join, leave and disconnect reach the other members") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  expect_ok(alice.request("create", {{"room", "general"}, {"topic", "first"}}));
  expect_ok(bob.request("join", {{"room", "general"}}));
  const auto presence = [](std::string_view action, std::string_view user) {
    return [action, user](const Json& e) {
      return e["type"] == "presence" && e["action"] == action && e["user"] == user;
    };
  };
  CHECK(alice.wait_event(presence("join", "bob"))["room"] == "general");

  CHECK(expect_ok(bob.request("topic", {{"room", "general"}}))["topic"] == "first");
  CHECK(bob.request("topic", {{"room", "general"}, {"topic", "mine"}})["code"] == "forbidden");
  expect_ok(alice.request("topic", {{"room", "general"}, {"topic", "second"}}));
  auto topic = bob.wait_event("topic");
  CHECK(topic["topic"] == "second");
  CHECK(topic["by"] == "alice");

  expect_ok(bob.request("leave", {{"room", "general"}}));
  CHECK(alice.wait_event(presence("leave", "bob"))["room"] == "general");
  CHECK(bob.request("leave", {{"room", "general"}})["code"] == "forbidden");
  CHECK(bob.request("send", {{"room", "general"}, {"text", "x"}})["code"] == "forbidden");
  CHECK(expect_ok(bob.request("members", {{"room", "general"}}))["members"].size() == 1);
  expect_ok(alice.request("send", {{"room", "general"}, {"text", "bob is gone"}}));
  CHECK_FALSE(bob.next(200ms).has_value());

  {
    TestClient carol(server.port());
    expect_ok(carol.register_user("carol"));
    expect_ok(carol.request("join", {{"room", "general"}}));
    CHECK(alice.wait_event(presence("join", "carol"))["room"] == "general");
  }
  CHECK(alice.wait_event(presence("disconnect", "carol"))["room"] == "general");
  // Carol is still a member: only her connection went away.
  auto members = expect_ok(alice.request("members", {{"room", "general"}}))["members"];
  REQUIRE(members.size() == 2);
  CHECK(members[1]["user"] == "carol");
  CHECK(members[1]["online"] == false);
}

TEST_CASE("register and guest racing for one name: the loser's conflict is true") {
  // Every round's loser finds a taken name, and a lost registration's check a failed log-in, all from one
  // address: allowances for that many.
  ServerProcess server(Json({{"auth", {{"name_probe_burst", 100}, {"login_address_failures", 100}}}}));
  constexpr int kRounds = 30;
  int registered = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string name = "race" + std::to_string(round);
    TestClient registrant(server.port());
    TestClient visitor(server.port());
    // Both requests leave at once; either may win, but exactly one, and the other's conflict must be real.
    registrant.send({{"op", "register"}, {"id", 1}, {"name", name}, {"password", "password123"}});
    visitor.send({{"op", "guest"}, {"id", 1}, {"name", name}});
    const auto registration = registrant.next(10s);
    const auto visit = visitor.next(10s);
    REQUIRE(registration.has_value());
    REQUIRE(visit.has_value());
    INFO("round " << round << ": " << registration->dump() << " / " << visit->dump());
    const bool account = (*registration)["type"] == "ok";
    const bool guest = (*visit)["type"] == "ok";
    CHECK(account != guest);
    if (!account) CHECK((*registration)["code"] == "conflict");
    if (!guest) CHECK((*visit)["code"] == "conflict");
    // The account exists exactly when its registration was acknowledged.
    TestClient checker(server.port());
    const auto login = checker.login(name);
    if (account) {
      expect_ok(login);
      ++registered;
    } else {
      CHECK(login["code"] == "unauthorized");
    }
  }
  MESSAGE(registered << " of " << kRounds << " names went to the registration");
}

TEST_CASE("the owner may leave and stays the owner: back, they moderate again; nobody can ban them meanwhile") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  TestClient carol(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  expect_ok(carol.register_user("carol"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  expect_ok(alice.request("create", {{"room", "secret"}, {"private", true}}));
  expect_ok(bob.request("join", {{"room", "general"}}));
  expect_ok(carol.request("join", {{"room", "general"}}));
  expect_ok(alice.request("moderator", {{"room", "general"}, {"user", "bob"}, {"grant", true}}));

  expect_ok(alice.request("leave", {{"room", "general"}}));
  expect_ok(alice.request("leave", {{"room", "secret"}}));
  CHECK(bob.request("ban", {{"room", "general"}, {"user", "alice"}})["code"] == "forbidden");
  CHECK(bob.request("kick", {{"room", "general"}, {"user", "alice"}})["code"] == "forbidden");

  const auto back = expect_ok(alice.request("join", {{"room", "general"}}));
  CHECK(back["owner"] == "alice");
  expect_ok(alice.request("join", {{"room", "secret"}}));  // no invitation needed to come back
  const auto members = expect_ok(alice.request("members", {{"room", "general"}}))["members"];
  REQUIRE(members.size() == 3);
  CHECK(members[0]["user"] == "alice");
  CHECK(members[0]["role"] == "owner");
  expect_ok(alice.request("kick", {{"room", "general"}, {"user", "carol"}}));
  expect_ok(alice.request("moderator", {{"room", "general"}, {"user", "bob"}, {"grant", false}}));

  server.restart();  // the role is stored
  TestClient again(server.port());
  expect_ok(again.login("alice"));
  const auto stored = expect_ok(again.request("members", {{"room", "general"}}))["members"];
  REQUIRE_FALSE(stored.empty());
  CHECK(stored[0]["role"] == "owner");
}

TEST_CASE("pipelined join, members and history are handled in order") {
  ServerProcess server;
  TestClient alice(server.port());
  TestClient bob(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(bob.register_user("bob"));
  constexpr int kRooms = 20;
  for (int r = 0; r < kRooms; ++r) {
    const auto room = "secret" + std::to_string(r);
    expect_ok(alice.request("create", {{"room", room}, {"private", true}}));
    expect_ok(alice.request("send", {{"room", room}, {"text", "hello"}}));
    expect_ok(alice.request("invite", {{"room", room}, {"user", "bob"}}));
  }
  // All in one write: members and history must see the join that comes before them.
  std::string burst;
  for (int r = 0; r < kRooms; ++r) {
    const auto room = "secret" + std::to_string(r);
    burst += Json({{"op", "join"}, {"id", 3 * r}, {"room", room}}).dump() + "\n";
    burst += Json({{"op", "members"}, {"id", 3 * r + 1}, {"room", room}}).dump() + "\n";
    burst += Json({{"op", "history"}, {"id", 3 * r + 2}, {"room", room}}).dump() + "\n";
  }
  bob.send_raw(burst);
  for (int answered = 0; answered < 3 * kRooms;) {
    auto line = bob.next(10s);
    REQUIRE(line.has_value());
    if (!line->contains("id")) continue;
    INFO(line->dump());
    CHECK((*line)["type"] == "ok");
    if ((*line)["op"] == "history") CHECK((*line)["messages"].size() == 1);
    ++answered;
  }
}
