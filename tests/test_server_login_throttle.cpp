// Password guessing through the real server: failed log-ins lock the account and the address without a hash,
// one address cannot fill the password hash's queue, and everyone else still logs in meanwhile.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A refusal of the log-in gate (not of the per-connection request rate, which has no retry_after_ms).
bool throttled(const Json& reply) {
  return reply.value("code", "") == "rate_limited" && reply.contains("retry_after_ms");
}

}  // namespace

TEST_CASE("PasswordGuessing: wrong passwords on several connections lock the attacker out; the victim logs in") {
  // A hash that takes a few milliseconds, so that a queue of an attacker's hashes would be felt.
  ServerProcess server(Json({{"auth",
                              {{"login_account_failures", 3},
                               {"login_address_failures", 6},
                               {"login_lockout_ms", 2000},
                               {"hash_queue_per_address", 2},
                               {"hash_mem_limit_kib", 8192}}}}));
  server.add_admin("admin");
  server.add_user("alice", "alice's secret");
  server.add_user("bob", "bob's secret");

  constexpr int kAttackers = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::atomic<int> refused{0};
  std::atomic<int> refusals_without_wait{0};
  std::vector<std::thread> attackers;
  for (int a = 0; a < kAttackers; ++a) {
    attackers.emplace_back([&, a] {
      TestClient attacker(server.port());  // all from 127.0.0.1
      for (int guess = 0; !stop.load(); ++guess) {
        const auto reply = attacker.login("alice", "guess " + std::to_string(a) + "-" + std::to_string(guess));
        if (reply.value("code", "") == "unauthorized") ++wrong;
        if (throttled(reply)) {
          ++refused;
          if (reply["retry_after_ms"].get<std::int64_t>() <= 0) ++refusals_without_wait;
        }
        std::this_thread::sleep_for(10ms);  // well under the request rate limit: only the log-in gate refuses
      }
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (refused.load() < 2 * kAttackers && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(refused.load() >= 2 * kAttackers);

  // Meanwhile the victim, from another address, logs in; bounded generously, to catch starvation only.
  TestClient victim(server.port(), true, "127.0.0.2");
  const auto started = std::chrono::steady_clock::now();
  CHECK(expect_ok(victim.login("bob", "bob's secret"))["user"] == "bob");
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  stop.store(true);
  for (auto& attacker : attackers) attacker.join();

  CHECK(refusals_without_wait.load() == 0);
  // The guesses that reached a hash: the allowances and the few admitted before a lockout began.
  CHECK(wrong.load() < 20);
  // The account is locked for every address, its owner included, until the lockout ends.
  TestClient owner(server.port(), true, "127.0.0.3");
  CHECK(throttled(owner.login("alice", "alice's secret")));

  TestClient admin(server.port(), true, "127.0.0.4");
  expect_ok(admin.login("admin"));
  const auto auth = expect_ok(admin.request("stats"))["auth"];
  CHECK(auth["login_failures"] == wrong.load());
  CHECK(auth["logins_throttled"].get<int>() >= refused.load());
}

TEST_CASE("HashQueueFlood: one address's simultaneous log-ins beyond its share are refused at once") {
  // A slow hash, so that the first log-ins still wait for it when the rest arrive.
  ServerProcess server(
      Json({{"auth", {{"hash_queue_per_address", 2}, {"hash_ops_limit", 2}, {"hash_mem_limit_kib", 32768}}}}));
  server.add_user("carol");
  constexpr int kFlood = 8;
  std::vector<std::unique_ptr<TestClient>> flood;
  for (int i = 0; i < kFlood; ++i) flood.push_back(std::make_unique<TestClient>(server.port()));
  for (auto& client : flood) client->send({{"op", "login"}, {"id", 1}, {"name", "carol"}, {"password", "password123"}});
  int ok = 0;
  int busy = 0;
  for (auto& client : flood) {
    const auto reply = client->next(30s);
    REQUIRE(reply.has_value());
    if ((*reply)["type"] == "ok") ++ok;
    if ((*reply).value("code", "") == "rate_limited") ++busy;
  }
  CHECK(ok >= 1);
  CHECK(busy >= 1);
  CHECK(ok + busy == kFlood);
  // Another address has a share of its own.
  TestClient other(server.port(), true, "127.0.0.2");
  expect_ok(other.login("carol"));
}
