// The chat-server command line, run as a real process: --help, and a configuration that cannot start.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::binary;
using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

using chat::test::Run;

// Runs chat-server with `args` to its end (bounded: it is killed if it keeps running).
Run run_server(std::vector<std::string> args) {
  args.insert(args.begin(), binary("server/chat-server").string());
  return chat::test::run_to_end(std::move(args), 20s);
}

// Starts chat-server with `config` written to a file; it must refuse to start.
Run run_with_config(const Json& config) {
  const auto dir = chat::test::make_temp_dir("chat-cli-config");
  const auto path = dir / "config.json";
  std::ofstream(path) << config.dump();
  auto run = run_server({"--config", path.string(), "--port", "0", "--db", (dir / "chat.db").string()});
  chat::test::remove_temp_dir(dir);
  return run;
}

}  // namespace

TEST_CASE("--help lists the flags and exits 0") {
  const auto run = run_server({"--help"});
  CHECK(run.status == 0);
  for (const char* flag : {"--config", "--port", "--db", "--log-level", "--print-config", "--version"}) {
    CHECK_MESSAGE(run.out.find(flag) != std::string::npos, flag);
  }
}

TEST_CASE("an invalid configuration stops start-up with exit code 2 and a message naming the key") {
  struct Case {
    Json config;
    std::string message;
  };
  const std::vector<Case> cases{
      {{{"server", {{"prot", 7777}}}}, "server.prot: unknown key"},
      {{{"logging", Json::object()}}, "logging: unknown section"},
      {{{"server", {{"port", "7777"}}}}, "server.port: must be an integer"},
      {{{"auth", {{"allow_guests", 1}}}}, "auth.allow_guests: must be true or false"},
      {{{"limits", {{"max_frame_bytes", 100}}}}, "limits.max_frame_bytes: must be between 256 and 16777216"},
      {{{"pool", {{"min_threads", 8}, {"max_threads", 2}}}}, "pool.min_threads: must not exceed pool.max_threads"},
      {{{"limits", {{"outbound_queue_bytes", 8192}}}}, "limits.outbound_queue_bytes: must be at least"},
  };
  for (const auto& c : cases) {
    INFO(c.config.dump());
    const auto run = run_with_config(c.config);
    CHECK(run.status == 2);
    CHECK(run.err.find("configuration error: " + c.message) != std::string::npos);
  }
  // A flag goes through the same checks.
  const auto run = run_server({"--log-level", "loud"});
  CHECK(run.status == 2);
  CHECK(run.err.find("log.level: must be one of") != std::string::npos);
}

TEST_CASE("auth.allow_guests=false refuses guests, and says so in hello") {
  ServerProcess server(Json({{"auth", {{"allow_guests", false}}}}));
  TestClient client(server.port());
  CHECK(client.hello()["guests"] == false);
  const auto refused = client.guest("visitor");
  CHECK(refused["code"] == "forbidden");
  CHECK(client.request("join", {{"room", "x"}})["code"] == "unauthorized");  // still not logged in
  expect_ok(client.register_user("member"));  // accounts still work
}
