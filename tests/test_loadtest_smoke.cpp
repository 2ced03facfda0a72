// End-to-end run of chat-loadtest against the real server: a few seconds,
// a few connections. Asserts correctness only, never speed: nothing lost,
// duplicated or reordered, and no error of any kind on the way.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/loadtest_run.hpp"
#include "tests/support/server_process.hpp"

using chat::test::ServerProcess;

using chat::test::run_loadtest;

namespace {

ServerProcess::Options load_config() {
  ServerProcess::Options options;
  options.config = {{"limits", {{"rate_per_sec", 0}}}};
  return options;
}

void check_correct(const chat::test::LoadtestRun& run) {
  INFO(run.output);
  const auto& r = run.result;
  REQUIRE_FALSE(r.is_discarded());
  CHECK(r["ok"] == true);
  CHECK(r["problems"].empty());
  CHECK(run.exit_code == 0);
  CHECK(r["sent"].get<std::uint64_t>() > 0);
  CHECK(r["delivered"].get<std::uint64_t>() > 0);
  CHECK(r["delivered"] == r["expected"]);
  CHECK(r["lost"] == 0);
  CHECK(r["dup"] == 0);
  CHECK(r["out_of_order"] == 0);
  CHECK(r["latency_us"]["count"].get<std::uint64_t>() > 0);
  // No error of any kind, whether or not the verdict looks at it.
  CHECK(r["connect_failures"] == 0);
  CHECK(r["connect_errors"].empty());
  CHECK(r["disconnects"] == 0);
  CHECK(r["errors"].empty());
  CHECK(r["send_errors"] == 0);
  CHECK(r["unanswered"] == 0);
  CHECK(r["acked"] == r["sent"]);
  CHECK(r["unreadable_lines"] == 0);
  if (r.contains("churn")) CHECK(r["churn"]["failures"] == 0);
  if (r["mode"] == "open") CHECK(r["missed_slots"] == 0);
  if (r.contains("server")) CHECK(r["server"].value("leaked_connections", std::uint64_t{0}) == 0);
}

}  // namespace

TEST_CASE("closed loop over two worker processes: every message once, in order") {
  ServerProcess server(load_config());
  const auto run = run_loadtest("--port " + std::to_string(server.port()) +
                            " --connections 20 -r 2 --senders 2 --mode closed -w 4 --warmup 0.5 -d 2 --drain 5 --workers 2"
                            " --server-pid " + std::to_string(server.pid()));
  check_correct(run);
  CHECK(run.result["workers"] == 2);
  CHECK(run.result["connected"] == 20);
  // Rooms of 10: every message reaches its 9 other members, and once its
  // sender, whose copy is counted apart from the deliveries to others.
  const auto acked = run.result["acked"].get<std::uint64_t>();
  CHECK(run.result["echo_deliveries"] == acked);
  CHECK(run.result["delivered"].get<std::uint64_t>() - run.result["echo_deliveries"].get<std::uint64_t>() ==
        9 * acked);
  CHECK(run.result["deliveries_per_s"].get<double>() ==
        doctest::Approx(9 * run.result["sends_per_s"].get<double>()).epsilon(0.001));
  CHECK(run.result["server"]["rss_after_kb"].get<std::uint64_t>() > 0);
}

TEST_CASE("open loop with churn and several source addresses: no connection left behind on the server") {
  ServerProcess server(load_config());
  const auto run = run_loadtest("--port " + std::to_string(server.port()) +
                            " --connections 20 -r 2 --senders 1 --mode open --rate 200 --churners 4 --churn-hold-ms 50"
                            " --source-addrs 3 --warmup 0.5 -d 2 --drain 5 --server-pid " +
                            std::to_string(server.pid()));
  check_correct(run);
  CHECK(run.result["churn"]["cycles"].get<std::uint64_t>() > 0);
  CHECK(run.result["send_lag_us"]["count"].get<std::uint64_t>() > 0);
  const auto& s = run.result["server"];
  // The 20 members (and the listener), before the churners came and after they left.
  CHECK(s["sockets_at_start"].get<std::uint64_t>() >= 20);
  CHECK(s["sockets_after"] == s["sockets_at_start"]);
  CHECK(s["leaked_connections"] == 0);
  for (const char* key : {"rss_window_start_kb", "rss_window_mid_kb", "rss_after_kb", "rss_after_drain_kb"}) {
    CAPTURE(key);
    CHECK(s[key].get<std::uint64_t>() > 0);
  }
  CHECK(s.contains("rss_growth_kb"));
}

TEST_CASE("--transport ws: members and churners over WebSocket get every message once, in order") {
  auto config = load_config();
  config.config["http"] = {{"enabled", true}, {"port", 0}};
  ServerProcess server(config);
  const auto run = run_loadtest("--port " + std::to_string(server.port()) + " --transport ws --http-port " +
                                std::to_string(server.http_port()) +
                                " --connections 20 -r 2 --senders 2 --mode closed -w 4 --churners 2 --churn-hold-ms 50"
                                " --warmup 0.5 -d 2 --drain 5 --server-pid " + std::to_string(server.pid()));
  check_correct(run);
  CHECK(run.result["transport"] == "ws");
  CHECK(run.result["connected"] == 20);
  CHECK(run.result["churn"]["cycles"].get<std::uint64_t>() > 0);
  CHECK(run.output.find("over WebSocket") != std::string::npos);
  // The members did come over WebSocket: every one, and every churner's cycle, was an upgrade.
  const auto metrics = chat::test::http_get(server.http_port(), "/metrics").body;
  const auto at = metrics.find("\nchat_http_websocket_upgrades_total ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoull(metrics.substr(at + 36)) >= 20 + run.result["churn"]["cycles"].get<std::uint64_t>());
}

TEST_CASE("a server at its connection limit: the run fails and says the server refused") {
  auto config = load_config();
  config.config["limits"]["max_connections"] = 10;
  config.config["limits"]["max_connections_per_ip"] = 10;
  ServerProcess server(config);
  const auto run = run_loadtest("--port " + std::to_string(server.port()) +
                            " --connections 20 -r 0 --senders 0 --warmup 0 -d 0.5 --drain 1 --connect-timeout 20");
  INFO(run.output);
  REQUIRE_FALSE(run.result.is_discarded());
  CHECK(run.exit_code == 1);
  CHECK(run.result["ok"] == false);
  CHECK(run.result["connected"] == 10);
  CHECK(run.result["connect_failures"] == 10);
  CHECK(run.result["connect_errors"]["overloaded"] == 10);
  CHECK(run.output.find("failed (overloaded 10)") != std::string::npos);
}

TEST_CASE("usage errors exit with 2 before touching the server") {
  const auto run = run_loadtest("--port 1 --host 10.0.0.1 2>/dev/null");
  CHECK(run.exit_code == 2);
}
