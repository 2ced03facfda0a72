// The real server on a real PostgreSQL (storage.backend "postgres"; restarts and kill -9 are in
// test_server_durability, on both backends): with the database gone, sends are refused (never acknowledged
// unstored), /ready and /metrics say so, and the server recovers by itself once the database is back; the
// operator's `user` commands work on it, `backup` points at PostgreSQL's tools, and `migrate` moves a SQLite
// server's data over.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/message_burst.hpp"
#include "tests/support/postgres_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::http_get;
using chat::test::PostgresProcess;
using chat::test::stored_seqs;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

Json on_postgres(const std::string& url, Json extra = Json::object()) {
  Json config = {{"storage", {{"backend", "postgres"}, {"postgres_url", url}}}};
  config.merge_patch(extra);
  return config;
}

}  // namespace

TEST_CASE("on PostgreSQL: the operator's user commands, stats without SQLite's checkpoints, a direct message kept") {
  // What a restart keeps in rooms is checked on both backends by test_server_durability.
  const auto url = chat::test::shared_postgres().create_database();
  ServerProcess server(on_postgres(url));
  server.add_admin("root");  // `chat-server user add`, on the same database
  {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    { TestClient(server.port()).register_user("bob"); }
    expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "psst"}}));  // bob is offline
  }
  CHECK(server.terminate() == 0);
  server.restart();

  TestClient root(server.port());
  expect_ok(root.login("root"));
  const auto stats = expect_ok(root.request("stats"));  // an administrator's: made by `user add --admin`
  CHECK(stats["storage"]["state"] == "ok");
  CHECK(stats["messages_stored"] == 0);
  CHECK(stats["direct_messages_waiting"] == 1);
  CHECK_FALSE(stats.contains("checkpoints"));  // SQLite's WAL only
  TestClient bob(server.port());
  expect_ok(bob.login("bob"));
  CHECK(bob.wait_event("dm")["text"] == "psst");
  CHECK(server.log().find("storage: opened PostgreSQL database") != std::string::npos);
}

TEST_CASE("PostgreSQL stopped: sends refused, /ready and /metrics say failing; started: the server recovers by itself") {
  PostgresProcess database;  // its own, to stop and start
  const auto url = database.create_database();
  ServerProcess server(on_postgres(url, {{"storage", {{"retry_interval_ms", 100}}},
                                         {"http", {{"enabled", true}, {"port", 0}}}}));
  server.add_admin("root");
  TestClient root(server.port());
  TestClient alice(server.port());
  expect_ok(root.login("root"));
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  std::int64_t last = 0;
  for (int i = 0; i < 5; ++i) last = expect_ok(alice.request("send", {{"room", "general"}, {"text", "a"}}))["seq"];

  database.stop();
  // The first send after the stop finds the connection cut; it and every later one are refused, none
  // acknowledged.
  for (int i = 0; i < 5; ++i) {
    const auto reply = alice.request("send", {{"room", "general"}, {"text", "b"}});
    CHECK(reply.value("type", "") == "error");
    CHECK(reply.value("code", "") == "internal");
    CHECK(reply.value("message", "").find("storage is failing") != std::string::npos);
  }
  // The operator's view needs no database: /ready says why, /metrics answers without the database's counts.
  const auto ready = http_get(server.http_port(), "/ready");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("storage_failing") != std::string::npos);
  std::this_thread::sleep_for(1100ms);  // past the metrics snapshot's age; recovery passes fail meanwhile
  const auto metrics = http_get(server.http_port(), "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("\nchat_storage_failing 1\n") != std::string::npos);
  CHECK(metrics.body.find("chat_messages_stored_total") == std::string::npos);
  // An administrator's rights are read from the database at each use: with it gone, `stats` fails closed.
  CHECK(root.request("stats").value("code", "") == "internal");

  database.start();
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (http_get(server.http_port(), "/ready").status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  const auto stats = expect_ok(root.request("stats"))["storage"];
  REQUIRE(stats["state"] == "ok");
  CHECK(stats["recoveries"] == 1);
  CHECK(stats["failed_writes"].get<std::int64_t>() >= 1);
  // Without a restart of the chat server: the next send takes the next seq (the refused ones took none).
  CHECK(expect_ok(alice.request("send", {{"room", "general"}, {"text", "c"}}))["seq"] == last + 1);
  CHECK(stored_seqs(alice, "general").size() == static_cast<std::size_t>(last + 1));
  CHECK(server.terminate() == 0);
}

TEST_CASE("storage.backend postgres without a url, or with a database that does not answer: a clear start-up error") {
  {
    ServerProcess::Options options;
    options.config = {{"storage", {{"backend", "postgres"}}}};
    CHECK_THROWS_WITH_AS(ServerProcess{options}, doctest::Contains("storage.postgres_url"), std::runtime_error);
  }
  {
    ServerProcess::Options options;
    const auto port = std::to_string(chat::test::free_port());  // nothing listens there
    options.config = on_postgres("postgresql://chat:secret@127.0.0.1:" + port + "/chat?connect_timeout=2");
    try {
      ServerProcess server(options);
      FAIL("the server must not start without its database");
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      CHECK(what.find("cannot open PostgreSQL database 'chat' on 127.0.0.1:" + port) != std::string::npos);
      CHECK(what.find("secret") == std::string::npos);
    }
  }
}

TEST_CASE("chat-server backup with storage.backend postgres: refused with exit 2, pointing at PostgreSQL's tools") {
  const auto dir = chat::test::make_temp_dir("chat-backup");
  const auto config = dir / "config.json";
  std::ofstream(config) << on_postgres("postgresql://chat@127.0.0.1/chat").dump();
  const auto run = chat::test::run_to_end(
      {std::string(CHAT_BINARY_DIR) + "/server/chat-server", "--config", config.string(), "backup",
       (dir / "copy.db").string()},
      20s);
  INFO(run.err);
  CHECK(run.status == 2);
  CHECK(run.err.find("pg_dump") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "copy.db"));
  chat::test::remove_temp_dir(dir);
}

TEST_CASE("chat-server migrate --to: a SQLite server's data serves from PostgreSQL, logins, seqs and backlogs kept") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));  // on SQLite
  {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice", "alice-password"));
    {
      TestClient bob(server.port());
      expect_ok(bob.register_user("bob", "bob-password"));
      expect_ok(alice.request("create", {{"room", "general"}, {"topic", "t"}}));
      expect_ok(alice.request("create", {{"room", "secret"}, {"private", true}}));
      expect_ok(alice.request("invite", {{"room", "secret"}, {"user", "bob"}}));
      expect_ok(bob.request("join", {{"room", "general"}}));
      expect_ok(alice.request("ban", {{"room", "general"}, {"user", "mallory"}}));
    }
    for (int i = 0; i < 2500; ++i) {  // more than one chunk of the copy
      expect_ok(alice.request("send", {{"room", "general"}, {"text", "m" + std::to_string(i)}, {"cid", "c" + std::to_string(i)}}));
    }
    expect_ok(alice.request("send", {{"room", "general"}, {"text", "it's \"quoted\", {braced} \\ and \U0001F389"}}));
    expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "while you were away"}}));  // bob is offline
  }
  CHECK(server.terminate() == 0);
  {
    // What a server from before the protocol refused U+0000 may have stored: PostgreSQL cannot hold it.
    SQLite::Database raw(server.db_path().string(), SQLite::OPEN_READWRITE);
    raw.exec("UPDATE messages SET text = 'a' || char(0) || 'b' WHERE seq = 1");
  }

  const auto url = chat::test::shared_postgres().create_database();
  const auto config = server.directory() / "config.json";
  REQUIRE(std::filesystem::exists(config));
  const auto chat_server = std::string(CHAT_BINARY_DIR) + "/server/chat-server";
  const auto run = chat::test::run_to_end(
      {chat_server, "--config", config.string(), "--db", server.db_path().string(), "migrate", "--to", url}, 120s);
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK(run.out.find("2 users, 2 rooms") != std::string::npos);
  CHECK(run.out.find("2501 messages, 1 direct messages") != std::string::npos);
  CHECK(run.out.find("1 texts held U+0000") != std::string::npos);
  // Into a database that holds chat data: refused, nothing copied twice. Without --to, the configuration's
  // storage.postgres_url is the target (a password stays off the command line).
  {
    auto document = nlohmann::json::parse(chat::test::read_file(config));
    document["storage"]["postgres_url"] = url;
    std::ofstream(config) << document.dump();
  }
  const auto again = chat::test::run_to_end(
      {chat_server, "--config", config.string(), "--db", server.db_path().string(), "migrate"}, 120s);
  CHECK(again.status == 1);
  CHECK(again.err.find("already holds chat data") != std::string::npos);

  ServerProcess on_pg(on_postgres(url));
  TestClient alice(on_pg.port());
  expect_ok(alice.login("alice", "alice-password"));  // the hash came over
  const auto page = expect_ok(alice.request("history", {{"room", "general"}, {"limit", 1}}))["messages"];
  REQUIRE(page.size() == 1);
  CHECK(page[0]["seq"] == 2501);
  CHECK(page[0]["text"] == "it's \"quoted\", {braced} \\ and \U0001F389");
  const auto first = expect_ok(alice.request("history", {{"room", "general"}, {"after", 0}, {"limit", 1}}))["messages"];
  REQUIRE(first.size() == 1);
  CHECK(first[0]["text"] == "a\xEF\xBF\xBD" "b");  // U+0000 became U+FFFD
  // A retried client id from before the move is still recognised, and seqs go on.
  const auto retried = expect_ok(alice.request("send", {{"room", "general"}, {"text", "m7"}, {"cid", "c7"}}));
  CHECK(retried["seq"] == 8);
  CHECK(expect_ok(alice.request("send", {{"room", "general"}, {"text", "next"}}))["seq"] == 2502);
  TestClient bob(on_pg.port());
  const auto login = expect_ok(bob.login("bob", "bob-password"));
  CHECK(login["rooms"].size() == 1);
  CHECK(bob.wait_event("dm")["text"] == "while you were away");  // the backlog waited in the database
  expect_ok(bob.request("join", {{"room", "secret"}}));  // the invitation came over
  CHECK(expect_ok(bob.request("join", {{"room", "general"}}))["topic"] == "t");
  // New accounts and rooms get ids after the copied ones.
  TestClient carol(on_pg.port());
  expect_ok(carol.register_user("carol"));
  expect_ok(carol.request("create", {{"room", "third"}}));
}
