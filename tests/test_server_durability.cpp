// What is acknowledged survives: restarts (on SQLite and on PostgreSQL), kill -9, and a graceful SIGTERM.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <functional>
#include <set>
#include <thread>

#include "tests/support/message_burst.hpp"
#include "tests/support/postgres_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::send_burst_killed_halfway;
using chat::test::ServerProcess;
using chat::test::stored_seqs;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Everything a restart must keep, on the storage `config` names: what bob sees after the server came back.
void check_restart_keeps_everything(const Json& config) {
  ServerProcess server(config);
  {
    TestClient alice(server.port());
    TestClient bob(server.port());
    expect_ok(alice.register_user("alice"));
    expect_ok(bob.register_user("bob"));
    expect_ok(alice.request("create", {{"room", "general"}, {"topic", "before"}}));
    expect_ok(alice.request("create", {{"room", "secret"}, {"private", true}}));
    expect_ok(alice.request("topic", {{"room", "general"}, {"topic", "after"}}));
    expect_ok(bob.request("join", {{"room", "general"}}));
    expect_ok(alice.request("ban", {{"room", "secret"}, {"user", "bob"}}));
    for (int i = 0; i < 7; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", std::to_string(i)}}));
  }
  CHECK(server.terminate() == 0);
  server.restart();

  TestClient bob(server.port());
  auto login = expect_ok(bob.login("bob"));
  REQUIRE(login["rooms"].size() == 1);
  CHECK(login["rooms"][0]["room"] == "general");
  CHECK(login["rooms"][0]["last_seq"] == 7);
  CHECK(bob.request("join", {{"room", "secret"}})["code"] == "forbidden");
  auto joined = expect_ok(bob.request("join", {{"room", "general"}}));
  CHECK(joined["topic"] == "after");
  CHECK(joined["owner"] == "alice");
  auto sent = expect_ok(bob.request("send", {{"room", "general"}, {"text", "new"}}));
  CHECK(sent["seq"] == 8);
  CHECK(expect_ok(bob.request("history", {{"room", "general"}}))["messages"].size() == 8);
}

}  // namespace

TEST_CASE("a restart keeps users, rooms, memberships, bans, topics, messages and seq counters") {
  check_restart_keeps_everything(Json::object());
}

TEST_CASE("on PostgreSQL, a restart keeps users, rooms, memberships, bans, topics, messages and seq counters") {
  const auto url = chat::test::shared_postgres().create_database();
  check_restart_keeps_everything({{"storage", {{"backend", "postgres"}, {"postgres_url", url}}}});
}

namespace {

// kill -9 halfway through a burst of `count` sends on the storage `config` names: after a restart every
// acknowledged message is there, seqs are dense and go on. `after_kill` looks at the storage before the restart.
void check_kill9_loses_nothing(const Json& config, int count, const std::function<void(ServerProcess&)>& after_kill) {
  ServerProcess server(config);
  std::set<std::int64_t> acknowledged;
  {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    expect_ok(alice.request("create", {{"room", "burst"}}));
    acknowledged = send_burst_killed_halfway(server, alice, "burst", count);
  }
  REQUIRE(acknowledged.size() >= static_cast<std::size_t>(count / 2));
  after_kill(server);
  server.restart();
  TestClient alice(server.port());
  expect_ok(alice.login("alice"));
  const auto stored = stored_seqs(alice, "burst");
  for (const auto seq : acknowledged) REQUIRE(stored.contains(seq));
  // Seqs are dense: nothing reused, nothing skipped among the stored ones.
  CHECK(*stored.rbegin() == static_cast<std::int64_t>(stored.size()));
  auto next = expect_ok(alice.request("send", {{"room", "burst"}, {"text", "after the crash"}}));
  CHECK(next["seq"] == *stored.rbegin() + 1);
}

}  // namespace

TEST_CASE("kill -9 during a burst of 10,000 sends, checkpoints running, loses no acknowledged message") {
  // A small WAL: the burst goes through many checkpoints of both kinds, and the kill may land in one.
  check_kill9_loses_nothing(Json({{"limits", {{"rate_per_sec", 0}}},
                                  {"storage", {{"checkpoint_pages", 32}, {"wal_max_pages", 128}}}}),
                            10000, [](ServerProcess& server) {
                              SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
                              CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
                            });
}

TEST_CASE("on PostgreSQL, kill -9 during a burst of 4,000 sends loses no acknowledged message") {
  const auto url = chat::test::shared_postgres().create_database();
  check_kill9_loses_nothing({{"limits", {{"rate_per_sec", 0}}},
                             {"storage", {{"backend", "postgres"}, {"postgres_url", url}}}},
                            4000, [](ServerProcess&) {});
}

TEST_CASE("SIGTERM: clients are told, pending messages commit, exit 0") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  for (int i = 0; i < 200; ++i) alice.send({{"op", "send"}, {"room", "general"}, {"text", std::to_string(i)}});
  std::thread stopper([&] { CHECK(server.terminate() == 0); });
  CHECK(alice.wait_closed(20s));
  stopper.join();
  bool told = false;
  int acknowledged = 0;
  for (const auto& event : alice.events()) {
    if (event.value("type", "") == "shutdown") told = true;
    if (event.value("type", "") == "ok" && event.value("op", "") == "send") ++acknowledged;
  }
  CHECK(told);
  SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM messages").getInt() >= acknowledged);
  CHECK(server.log().find("shutting down") != std::string::npos);
}
