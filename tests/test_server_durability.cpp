// What is acknowledged survives: restarts, kill -9, and a graceful SIGTERM.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>
#include <thread>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("a restart keeps users, rooms, memberships, bans, topics, messages and seq counters") {
  ServerProcess server;
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

TEST_CASE("kill -9 during a burst of 10,000 sends, checkpoints running, loses no acknowledged message") {
  // A small WAL: the burst goes through many checkpoints of both kinds, and the kill may land in one.
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}},
                             {"storage", {{"checkpoint_pages", 32}, {"wal_max_pages", 128}}}}));
  std::set<std::int64_t> acknowledged;
  {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    expect_ok(alice.request("create", {{"room", "burst"}}));
    constexpr int kSends = 10000;
    constexpr int kWindow = 64;
    int sent = 0;
    int answered = 0;
    bool killed = false;
    try {
      while (answered < kSends) {
        while (sent < kSends && sent - answered < kWindow) {
          alice.send({{"op", "send"}, {"id", sent}, {"room", "burst"}, {"text", "m" + std::to_string(sent)}});
          ++sent;
        }
        auto line = alice.next(10s);
        REQUIRE(line.has_value());
        if ((*line).value("type", "") == "ok" && (*line).value("op", "") == "send") {
          acknowledged.insert((*line)["seq"].get<std::int64_t>());
          ++answered;
        }
        if (!killed && answered == kSends / 2) {
          server.kill9();
          killed = true;
        }
      }
    } catch (const std::runtime_error&) {
      // The connection died with the server: expected.
    }
    REQUIRE(killed);
  }
  REQUIRE(acknowledged.size() >= 5000);
  {
    SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  server.restart();
  TestClient alice(server.port());
  expect_ok(alice.login("alice"));
  std::set<std::int64_t> stored;
  std::int64_t after = 0;
  for (;;) {
    auto page = expect_ok(alice.request("history", {{"room", "burst"}, {"after", after}, {"limit", 100}}))["messages"];
    if (page.empty()) break;
    for (const auto& message : page) stored.insert(message["seq"].get<std::int64_t>());
    after = page.back()["seq"];
  }
  for (const auto seq : acknowledged) REQUIRE(stored.contains(seq));
  // Seqs are dense: nothing reused, nothing skipped among the stored ones.
  CHECK(*stored.rbegin() == static_cast<std::int64_t>(stored.size()));
  auto next = expect_ok(alice.request("send", {{"room", "burst"}, {"text", "after the crash"}}));
  CHECK(next["seq"] == *stored.rbegin() + 1);
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
