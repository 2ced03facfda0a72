// chat-loadtest --protocol redis against a real redis-server on 127.0.0.1:
// the baseline mode must measure Redis as chat mode measures the chat server,
// with the same checks. Asserts correctness only, never speed. Skipped when
// redis-server is not installed (scripts/setup.sh installs it).
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/loadtest_run.hpp"
#include "tests/support/redis_process.hpp"

using chat::test::RedisProcess;

using chat::test::run_loadtest;

namespace {

bool redis_missing() {
  if (RedisProcess::find_executable()) return false;
  MESSAGE("skipped: redis-server is not installed (Debian package redis-server; scripts/setup.sh installs it)");
  return true;
}

std::string target(const RedisProcess& redis) {
  return "--port " + std::to_string(redis.port()) + " --server-pid " + std::to_string(redis.pid());
}

void check_correct(const chat::test::LoadtestRun& run) {
  INFO(run.output);
  const auto& r = run.result;
  REQUIRE_FALSE(r.is_discarded());
  CHECK(r["protocol"] == "redis");
  CHECK(r["ok"] == true);
  CHECK(r["problems"].empty());
  CHECK(run.exit_code == 0);
  CHECK(r["rooms_created_by"] == "none");
  // No error of any kind, whether or not the verdict looks at it.
  CHECK(r["connect_failures"] == 0);
  CHECK(r["connect_errors"].empty());
  CHECK(r["disconnects"] == 0);
  CHECK(r["errors"].empty());
  CHECK(r["unreadable_lines"] == 0);
  CHECK(r["server"].value("leaked_connections", std::uint64_t{1}) == 0);
}

void check_delivered(const chat::test::LoadtestRun& run) {
  INFO(run.output);
  const auto& r = run.result;
  CHECK(r["sent"].get<std::uint64_t>() > 0);
  CHECK(r["acked"] == r["sent"]);
  CHECK(r["send_errors"] == 0);
  CHECK(r["unanswered"] == 0);
  CHECK(r["deliveries_per_s"].get<double>() > 0);
  CHECK(r["delivered"].get<std::uint64_t>() > 0);
  CHECK(r["delivered"] == r["expected"]);
  CHECK(r["lost"] == 0);
  CHECK(r["dup"] == 0);
  CHECK(r["out_of_order"] == 0);
  CHECK(r["latency_us"]["count"].get<std::uint64_t>() > 0);
  CHECK(r["ack_latency_us"]["count"].get<std::uint64_t>() > 0);
}

}  // namespace

TEST_CASE("redis: closed loop over two worker processes, every message once and in order per sender") {
  if (redis_missing()) return;
  RedisProcess redis;
  const auto run = run_loadtest("--protocol redis " + target(redis) + " --connections 20 -r 2 --senders 2 --mode closed -w 4 --warmup 0.5 -d 2 --drain 5 --workers 2");
  check_correct(run);
  check_delivered(run);
  INFO(run.output);
  const auto& r = run.result;
  CHECK(r["workers"] == 2);
  CHECK(r["connected"] == 20);
  // Rooms of 10: every message reaches its 9 other subscribers, and once its
  // sender's own subscription, counted apart as in chat mode.
  const auto acked = r["acked"].get<std::uint64_t>();
  CHECK(r["echo_deliveries"] == acked);
  CHECK(r["delivered"].get<std::uint64_t>() - r["echo_deliveries"].get<std::uint64_t>() == 9 * acked);
  CHECK(r["deliveries_per_s"].get<double>() == doctest::Approx(9 * r["sends_per_s"].get<double>()).epsilon(0.001));
  // 20 subscribers and 4 publishers (and the listener) while the run held them.
  CHECK(r["server"]["sockets_at_start"].get<std::uint64_t>() >= 24);
  CHECK(r["server"]["rss_after_kb"].get<std::uint64_t>() > 0);
}

TEST_CASE("redis: open loop with churners and several source addresses leaves no connection behind") {
  if (redis_missing()) return;
  RedisProcess redis;
  const auto run = run_loadtest("--protocol redis " + target(redis) +
                            " --connections 20 -r 2 --senders 1 --mode open --rate 200 --churners 4 --churn-hold-ms 50"
                            " --source-addrs 3 --warmup 0.5 -d 2 --drain 5");
  check_correct(run);
  check_delivered(run);
  INFO(run.output);
  const auto& r = run.result;
  CHECK(r["missed_slots"] == 0);
  CHECK(r["send_lag_us"]["count"].get<std::uint64_t>() > 0);
  CHECK(r["churn"]["cycles"].get<std::uint64_t>() > 0);
  CHECK(r["churn"]["failures"] == 0);
  CHECK(r["server"]["sockets_after"] == r["server"]["sockets_at_start"]);
}

TEST_CASE("redis: idle members connect and answer PING; the server's memory per connection is reported") {
  if (redis_missing()) return;
  RedisProcess redis;
  const auto run = run_loadtest("--protocol redis " + target(redis) + " --connections 200 -r 0 --senders 0 --source-addrs 2 --warmup 0 -d 0.5 --drain 1");
  check_correct(run);
  INFO(run.output);
  CHECK(run.result["connected"] == 200);
  CHECK(run.result["connect"]["rate_per_s"].get<double>() > 0);
  CHECK(run.result["server"].contains("rss_per_connection_kb"));
}

TEST_CASE("redis: at maxclients the refused members fail the run as overloaded") {
  if (redis_missing()) return;
  RedisProcess redis({"--maxclients", "10"});
  const auto run = run_loadtest("--protocol redis " + target(redis) + " --connections 20 -r 0 --senders 0 --warmup 0 -d 0.5 --drain 1 --connect-timeout 20");
  INFO(run.output);
  REQUIRE_FALSE(run.result.is_discarded());
  CHECK(run.exit_code == 1);
  CHECK(run.result["ok"] == false);
  CHECK(run.result["connected"] == 10);
  CHECK(run.result["connect_failures"] == 10);
  CHECK(run.result["connect_errors"]["overloaded"] == 10);
}
