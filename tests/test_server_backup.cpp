// chat-server backup FILE: an online copy of the database through SQLite's backup API, taken while the
// server runs and stores messages, that passes an integrity check and holds what was acknowledged.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::binary;
using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::int64_t count_messages(const fs::path& db) {
  SQLite::Database copy(db.string(), SQLite::OPEN_READONLY);
  return copy.execAndGet("SELECT COUNT(*) FROM messages").getInt64();
}

// Waits up to 20 s for `done`; false when it did not come.
template <class Done>
bool wait_for(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("a backup taken while the server accepts sends passes integrity_check and holds the messages") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  for (int i = 0; i < 2000; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", std::string(500, 'a')}}));

  // Sends go on, each acknowledged, for as long as the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> during{0};
  std::string sender_error;  // written by the sender, read after join
  std::thread sender([&] {
    try {
      TestClient bob(server.port());
      expect_ok(bob.register_user("bob"));
      expect_ok(bob.request("join", {{"room", "general"}}));
      while (!stop.load()) {
        expect_ok(bob.request("send", {{"room", "general"}, {"text", "during the backup"}}));
        ++during;
      }
    } catch (const std::exception& e) {
      sender_error = e.what();
    }
  });
  CHECK(wait_for([&] { return during.load() >= 10; }));

  const auto target = server.directory() / "backups" / "chat-backup.db";
  fs::create_directories(target.parent_path());
  // The same configuration the server reads, so the same database.
  const auto run = chat::test::run_to_end({binary("server/chat-server").string(), "--config",
                                           (server.directory() / "config.json").string(), "backup",
                                           target.string()},
                                          60s);
  const int sent_before_end = during.load();
  CHECK(wait_for([&] { return during.load() >= sent_before_end + 10; }));  // and after it
  stop = true;
  sender.join();
  CHECK(sender_error.empty());
  INFO(run.out << run.err);
  REQUIRE(run.status == 0);
  CHECK(run.out.find("written to '" + target.string() + "'") != std::string::npos);
  CHECK_FALSE(fs::exists(target.string() + ".tmp"));

  SQLite::Database copy(target.string(), SQLite::OPEN_READONLY);
  CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(copy.execAndGet("PRAGMA journal_mode").getString() == "delete");  // one self-contained file
  const auto copied = count_messages(target);
  CHECK(copied >= 2000 + 10);  // everything acknowledged before the backup started
  CHECK(copied <= 2000 + during.load());
  CHECK(copy.execAndGet("SELECT COUNT(*) FROM users").getInt() == 2);
  CHECK(server.terminate() == 0);
}

TEST_CASE("a backup of a missing database fails with exit code 1 and writes nothing") {
  const auto dir = chat::test::make_temp_dir("chat-backup");
  const auto target = dir / "copy.db";
  const auto run = chat::test::run_to_end({binary("server/chat-server").string(), "--db",
                                           (dir / "missing.db").string(), "backup", target.string()},
                                          20s);
  INFO(run.err);
  CHECK(run.status == 1);
  CHECK(run.err.find("backup failed") != std::string::npos);
  CHECK_FALSE(fs::exists(target));
  CHECK_FALSE(fs::exists(target.string() + ".tmp"));
  CHECK_FALSE(fs::exists(dir / "missing.db"));
  chat::test::remove_temp_dir(dir);
}
