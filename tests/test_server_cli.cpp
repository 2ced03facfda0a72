// The chat-server command line, run as a real process: --help, a configuration that cannot start, and the
// operator's `user` commands.
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

TEST_CASE("--help lists the flags with their defaults and exits 0") {
  const auto run = run_server({"--help"});
  CHECK(run.status == 0);
  for (const char* flag : {"--config", "--port", "--db", "--log-level", "--print-config", "--version", "user",
                           "backup", "migrate"}) {
    CHECK_MESSAGE(run.out.find(flag) != std::string::npos, flag);
  }
  for (const char* shown : {"--port UINT=7777", "--host TEXT=127.0.0.1", "--db TEXT=data/chat.db", "=info"}) {
    CHECK_MESSAGE(run.out.find(shown) != std::string::npos, shown);
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

TEST_CASE("--print-config shows storage.postgres_url and cluster.redis_url without their passwords") {
  const auto dir = chat::test::make_temp_dir("chat-cli-config");
  const auto path = dir / "config.json";
  std::ofstream(path) << Json({{"storage", {{"backend", "postgres"},
                                            {"postgres_url", "postgresql://chat:s3cret@db.example/chat"}}},
                               {"cluster", {{"redis_url", "redis://chat:t0psecret@redis.example:6379"}}}})
                             .dump();
  const auto run = run_server({"--config", path.string(), "--print-config"});
  chat::test::remove_temp_dir(dir);
  CHECK(run.status == 0);
  CHECK(run.out.find("postgresql://chat:***@db.example/chat") != std::string::npos);
  CHECK(run.out.find("redis://chat:***@redis.example:6379") != std::string::npos);
  CHECK(run.out.find("s3cret") == std::string::npos);
  CHECK(run.out.find("t0psecret") == std::string::npos);
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

TEST_CASE("AdminNameSquatting: registering a name gives no administration; only the operator's command does") {
  ServerProcess server;
  // Whoever registers "admin" first over the network is an ordinary user.
  TestClient squatter(server.port());
  const auto registered = expect_ok(squatter.register_user("admin"));
  CHECK(registered["admin"] == false);
  CHECK(squatter.request("stats")["code"] == "forbidden");

  // The operator grants it on the host, and revokes it: each takes effect at the next stats.
  REQUIRE(server.run_user_command({"set-admin", "admin", "on"}) == 0);
  CHECK(expect_ok(squatter.request("stats"))["connections"] == 1);
  TestClient again(server.port());
  CHECK(expect_ok(again.login("admin"))["admin"] == true);
  REQUIRE(server.run_user_command({"set-admin", "admin", "off"}) == 0);
  CHECK(squatter.request("stats")["code"] == "forbidden");
  CHECK(again.request("stats")["code"] == "forbidden");
}

TEST_CASE("chat-server user: add, set-admin and list work on the configured database, also while it serves") {
  ServerProcess server;
  const auto log = [&] { return chat::test::read_file(server.user_command_log()); };
  // The password from standard input (no terminal here), from a file, never from the command line.
  REQUIRE(server.run_user_command({"add", "Root", "--admin"}, "correct horse\n") == 0);
  const auto password_file = server.directory() / "pw";
  std::ofstream(password_file) << "battery staple\n";
  REQUIRE(server.run_user_command({"add", "carol", "--password-file", password_file.string()}) == 0);
  TestClient root(server.port());
  CHECK(expect_ok(root.login("root", "correct horse"))["admin"] == true);
  expect_ok(root.request("stats"));
  TestClient carol(server.port());
  CHECK(expect_ok(carol.login("carol", "battery staple"))["admin"] == false);

  // Refusals: a taken name, an invalid one, a short password, an unknown account, a wrong state.
  CHECK(server.run_user_command({"add", "carol"}, "another password\n") == 1);
  CHECK(log().find("name 'carol' is taken") != std::string::npos);
  CHECK(server.run_user_command({"add", "no spaces"}, "long enough\n") == 1);
  CHECK(server.run_user_command({"add", "dave"}, "short\n") == 1);
  CHECK(log().find("password must be 8 to 1024 bytes") != std::string::npos);
  CHECK(server.run_user_command({"set-admin", "nobody", "on"}) == 1);
  CHECK(log().find("no account 'nobody'") != std::string::npos);
  CHECK(server.run_user_command({"set-admin", "carol", "maybe"}) != 0);

  std::filesystem::remove(server.user_command_log());
  REQUIRE(server.run_user_command({"list"}) == 0);
  CHECK(log() == "carol\tuser\nroot\tadmin\n");
}

TEST_CASE("a configuration that still lists auth.admins stops start-up and names the command to use") {
  const auto run = run_with_config({{"auth", {{"admins", {"root"}}}}});
  CHECK(run.status == 2);
  CHECK(run.err.find("auth.admins: no longer supported") != std::string::npos);
  CHECK(run.err.find("chat-server user set-admin") != std::string::npos);
}

TEST_CASE("a port in use stops start-up with exit code 1 naming the address, before the database is opened") {
  ServerProcess running;
  const auto dir = chat::test::make_temp_dir("chat-cli-port");
  const auto db = dir / "data" / "chat.db";
  const auto run = run_server({"--port", std::to_string(running.port()), "--db", db.string()});
  CHECK(run.status == 1);
  const auto said = run.out + run.err;
  CHECK_MESSAGE(said.find("cannot listen on 127.0.0.1:" + std::to_string(running.port()) +
                          ": Address already in use") != std::string::npos,
                said);
  // Refused before the database: its folder was never created.
  CHECK_FALSE(std::filesystem::exists(db.parent_path()));
  chat::test::remove_temp_dir(dir);
}

TEST_CASE("a file start-up cannot open is named with the reason the system gives") {
  const auto dir = chat::test::make_temp_dir("chat-cli-open");
  SUBCASE("the configuration") {
    const auto missing = (dir / "no-such-config.json").string();
    const auto run = run_server({"--config", missing});
    CHECK(run.status == 2);
    CHECK_MESSAGE(run.err.find(missing + ": cannot open: No such file or directory") != std::string::npos, run.err);
  }
  SUBCASE("the database") {
    // A folder where the database file should be: SQLite says only "unable to open database file".
    std::filesystem::create_directories(dir / "chat.db");
    const auto run = run_server({"--port", "0", "--db", (dir / "chat.db").string()});
    CHECK(run.status == 1);
    const auto said = run.out + run.err;
    CHECK_MESSAGE(said.find("unable to open database file (Is a directory)") != std::string::npos, said);
  }
  chat::test::remove_temp_dir(dir);
}
