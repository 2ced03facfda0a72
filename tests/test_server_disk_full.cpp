// The real server on a volume that fills up (a 3 MiB tmpfs, with the default checkpoint threshold of 16 MiB
// that no WAL on it can reach): sends are refused with a clear error and never acknowledged unstored, `stats`
// and the log say storage is failing (the log once), and once space returns storage recovers by itself,
// without a restart. SIGTERM while it is full still exits 0, with what was acknowledged on disk.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>
#include <set>
#include <thread>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/tmpfs_mount.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using chat::test::TmpfsMount;
using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kVolumeBytes = 3 * 1024 * 1024;
constexpr std::size_t kFillerBytes = 1024 * 1024;
constexpr int kMostSends = 5000;  // bounds the filling; the volume is full after a few hundred

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

Json send(TestClient& client, const std::string& text) {
  return client.request("send", {{"room", "general"}, {"text", text}});
}

bool refused_for_storage(const Json& reply) {
  return reply.value("type", "") == "error" && reply.value("code", "") == "internal" &&
         reply.value("message", "").find("storage is failing") != std::string::npos;
}

struct Filled {
  std::set<std::int64_t> acknowledged;  // the seqs of the sends acknowledged before the first refusal
  Json refusal;                         // null if the volume never filled up
};

// Sends 2,000-byte messages to #general until one is refused.
Filled send_until_refused(TestClient& sender) {
  const std::string text(2000, 'x');
  Filled filled;
  for (int i = 0; i < kMostSends && filled.refusal.is_null(); ++i) {
    auto reply = send(sender, text);
    if (reply.value("type", "") == "ok") {
      filled.acknowledged.insert(reply["seq"].get<std::int64_t>());
    } else {
      filled.refusal = reply;
    }
  }
  return filled;
}

}  // namespace

TEST_CASE("a full disk: sends refused with a clear error, stats and log say so, recovery without a restart") {
  TmpfsMount volume(kVolumeBytes);
  if (!volume.mounted()) {
    MESSAGE("skipped: " << volume.error());
    return;
  }
  // Space that can be given back later.
  const auto filler = volume.path() / "filler";
  std::ofstream(filler) << std::string(kFillerBytes, 'f');
  const auto db = volume.path() / "chat.db";
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}, {"storage", {{"path", db.string()}}}}));
  server.add_admin("admin");
  TestClient admin(server.port());
  TestClient alice(server.port());
  expect_ok(admin.login("admin"));
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));

  const std::string text(2000, 'x');
  const auto [acknowledged, refusal] = send_until_refused(alice);
  REQUIRE_MESSAGE(!refusal.is_null(), "the volume never filled up");
  INFO("acknowledged before the disk was full: " << acknowledged.size() << "; refusal: " << refusal.dump());
  CHECK(refused_for_storage(refusal));
  CHECK(refusal.value("message", "").find("database or disk is full") != std::string::npos);

  // Meanwhile every send is refused the same way, and nothing more is acknowledged.
  for (int i = 0; i < 20; ++i) CHECK(refused_for_storage(send(alice, text)));
  auto stats = expect_ok(admin.request("stats"))["storage"];
  CHECK(stats["state"] == "failing");
  CHECK(stats["since_ms"].get<std::int64_t>() > 0);
  CHECK(stats["last_error"].get<std::string>().find("database or disk is full") != std::string::npos);
  CHECK(stats["failed_writes"].get<std::int64_t>() >= 1);
  // The log says it once, not once per refused send or per retry.
  std::this_thread::sleep_for(1500ms);  // a recovery attempt or more have failed by now
  CHECK(count(server.log(), "storage: writes to '" + db.string() + "' are failing") == 1);

  fs::remove(filler);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (expect_ok(admin.request("stats"))["storage"]["state"] != "ok" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  stats = expect_ok(admin.request("stats"))["storage"];
  REQUIRE(stats["state"] == "ok");
  CHECK(stats["recoveries"] == 1);
  // Without a restart, sends are stored again, right after the last acknowledged one.
  auto next = expect_ok(send(alice, text));
  CHECK(next["seq"] == *acknowledged.rbegin() + 1);
  for (int i = 0; i < 50; ++i) expect_ok(send(alice, text));
  CHECK(count(server.log(), "storage: writes to '" + db.string() + "' work again") == 1);

  CHECK(server.terminate() == 0);
  CHECK(server.log().find("critical") == std::string::npos);
  SQLite::Database stored(db.string(), SQLite::OPEN_READONLY);
  CHECK(stored.execAndGet("PRAGMA integrity_check").getString() == "ok");
  SQLite::Statement seqs(stored, "SELECT seq FROM messages");
  std::set<std::int64_t> present;
  while (seqs.executeStep()) present.insert(seqs.getColumn(0).getInt64());
  for (const auto seq : acknowledged) REQUIRE(present.contains(seq));
  CHECK(present.size() == acknowledged.size() + 51);
}

TEST_CASE("SIGTERM while the disk is full exits 0, and what was acknowledged is on disk") {
  TmpfsMount volume(kVolumeBytes);
  if (!volume.mounted()) {
    MESSAGE("skipped: " << volume.error());
    return;
  }
  const auto filler = volume.path() / "filler";
  std::ofstream(filler) << std::string(kFillerBytes, 'f');
  const auto db = volume.path() / "chat.db";
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}, {"storage", {{"path", db.string()}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));

  const auto [acknowledged, refusal] = send_until_refused(alice);
  REQUIRE_MESSAGE(!refusal.is_null(), "the volume never filled up");
  REQUIRE_MESSAGE(refused_for_storage(refusal), refusal.dump());

  // The disk is still full: the final checkpoint cannot run, and that is a warning, not a failure.
  CHECK(server.terminate() == 0);
  const auto log = server.log();
  CHECK(log.find("critical") == std::string::npos);
  CHECK(log.find("checkpoint of '" + db.string() + "' failed") != std::string::npos);

  fs::remove(filler);
  SQLite::Database stored(db.string(), SQLite::OPEN_READONLY);
  CHECK(stored.execAndGet("PRAGMA integrity_check").getString() == "ok");
  SQLite::Statement seqs(stored, "SELECT seq FROM messages");
  std::set<std::int64_t> present;
  while (seqs.executeStep()) present.insert(seqs.getColumn(0).getInt64());
  CHECK(present == acknowledged);
}
