// loadtest/presets.sh run against a stand-in for chat-loadtest that records
// its arguments: every preset must be the topology it is named for, and parse
// as the real tool parses it.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "loadtest/load_options.hpp"
#include "tests/support/redis_process.hpp"
#include "tests/support/server_process.hpp"

using chat::loadtest::LoadOptions;
using chat::loadtest::parse_options;
using chat::loadtest::Protocol;
using chat::loadtest::SendMode;

namespace {

namespace fs = std::filesystem;

struct ScriptRun {
  int exit_code = -1;
  std::string output;                              // stdout and stderr
  std::vector<std::vector<std::string>> tool_args;  // one entry per chat-loadtest run
};

// A directory with the stand-in binary; removed at the end.
class StandIn {
 public:
  StandIn() {
    std::string pattern = (fs::temp_directory_path() / "chat-presets-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    // Against Redis (--protocol redis) it answers $FAKE_JSON_REDIS instead.
    std::ofstream(bin()) << "#!/bin/sh\n"
                            "for a in \"$@\"; do printf '%s\\n' \"$a\"; done >> \"$FAKE_LOG\"\n"
                            "echo '=='  >> \"$FAKE_LOG\"\n"
                            "json=\"$FAKE_JSON\"; prev=\"\"\n"
                            "for a in \"$@\"; do\n"
                            "  [ \"$prev\" = --protocol ] && [ \"$a\" = redis ] && json=\"$FAKE_JSON_REDIS\"; prev=\"$a\"\n"
                            "done\n"
                            "printf '%s\\n' \"$json\"\n"
                            "exit \"$FAKE_STATUS\"\n";
    fs::permissions(bin(), fs::perms::owner_all);
  }
  ~StandIn() { fs::remove_all(dir_); }
  StandIn(const StandIn&) = delete;
  StandIn& operator=(const StandIn&) = delete;

  fs::path bin() const { return dir_ / "fake-loadtest"; }
  fs::path log() const { return dir_ / "args.log"; }

  // Runs presets.sh with the stand-in answering json and exiting with status.
  ScriptRun run(const std::string& script_args, const std::string& json = R"({"ok":true})", int status = 0,
                const std::string& redis_json = R"({"ok":true})") const {
    fs::remove(log());
    const std::string command = "FAKE_LOG='" + log().string() + "' FAKE_JSON='" + json + "' FAKE_JSON_REDIS='" +
                                redis_json + "' FAKE_STATUS=" + std::to_string(status) +
                                " timeout 60 bash '" CHAT_SOURCE_DIR
                                "/loadtest/presets.sh' --bin '" + bin().string() + "' " + script_args + " 2>&1";
    ScriptRun result;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) result.output += buffer;
    const int raw = ::pclose(pipe);
    result.exit_code = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    std::ifstream in(log());
    std::vector<std::string> args;
    for (std::string line; std::getline(in, line);) {
      if (line == "==") {
        result.tool_args.push_back(std::move(args));
        args.clear();
      } else {
        args.push_back(line);
      }
    }
    return result;
  }

 private:
  fs::path dir_;
};

LoadOptions parsed(const std::vector<std::string>& args) {
  const auto p = parse_options(args);
  INFO(p.message);
  REQUIRE(p.options.has_value());
  return *p.options;
}

void check_rooms_of_fifty(const LoadOptions& o) {
  CHECK(o.connections == 500);
  CHECK(o.rooms == 10);
  CHECK(o.senders == 5);
}

}  // namespace

TEST_CASE("presets: each is the topology it is named for") {
  const StandIn stand_in;
  const auto run = stand_in.run("--port 4242 --server-pid 777 fanout latency bigroom idle churn");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  REQUIRE(run.tool_args.size() == 6);  // idle is two runs

  const auto fanout = parsed(run.tool_args[0]);
  check_rooms_of_fifty(fanout);
  CHECK(fanout.mode == SendMode::Closed);
  CHECK(fanout.window == 16);
  CHECK(fanout.duration_s == 10);

  const auto latency = parsed(run.tool_args[1]);
  check_rooms_of_fifty(latency);
  CHECK(latency.mode == SendMode::Open);
  CHECK(latency.rate == 2000);  // x 49 other members = 98,000 deliveries/s
  CHECK(latency.duration_s == 10);

  const auto bigroom = parsed(run.tool_args[2]);
  CHECK(bigroom.connections == 500);
  CHECK(bigroom.rooms == 1);
  CHECK(bigroom.senders == 1);
  CHECK(bigroom.mode == SendMode::Closed);

  for (const auto& [index, connections] : std::map<std::size_t, unsigned>{{3, 5000}, {4, 19000}}) {
    const auto idle = parsed(run.tool_args[index]);
    CHECK(idle.connections == connections);
    CHECK(idle.rooms == 0);
    CHECK(idle.server_pid == 777);  // RSS per connection needs it
    // Spread so that no source address exceeds the server's default of 1,000 per address.
    CHECK(idle.source_addrs * 1000 >= connections);
  }

  const auto churn = parsed(run.tool_args[5]);
  check_rooms_of_fifty(churn);
  CHECK(churn.duration_s == 60);
  CHECK(churn.churners > 0);
  CHECK(churn.mode == SendMode::Open);
  CHECK(churn.rate > 0);
  CHECK(churn.server_pid == 777);
  CHECK(churn.max_rss_growth_kb > 0);
}

TEST_CASE("presets: a server at its connection limit is named as the cause") {
  const StandIn stand_in;
  const auto run = stand_in.run("--port 4242 --server-pid 777 idle",
                                R"({"connect_errors":{"overloaded":9000},"connect_failures":9000,"ok":false})", 1);
  INFO(run.output);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find("refused 9000 connections (overloaded)") != std::string::npos);
  CHECK(run.output.find("loadtest/server-load.json") != std::string::npos);

  const auto clean = stand_in.run("--port 4242 --server-pid 777 idle");
  CHECK(clean.exit_code == 0);
  CHECK(clean.output.find("refused") == std::string::npos);
}

TEST_CASE("presets: churn cannot pass without the server's pid") {
  const StandIn stand_in;
  const auto run = stand_in.run("--port 4242 churn");
  INFO(run.output);
  CHECK(run.exit_code != 0);
  CHECK(run.output.find("churn needs --server-pid") != std::string::npos);
  REQUIRE(run.tool_args.size() == 1);
  CHECK(parsed(run.tool_args[0]).max_rss_growth_kb == 0);  // nothing to judge it on
}

TEST_CASE("presets: the cluster preset and --cluster start their own nodes, two to eight of them") {
  const StandIn stand_in;
  auto run = stand_in.run("--port 4242 cluster");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("the cluster preset needs --start-server") != std::string::npos);
  run = stand_in.run("--port 4242 --cluster 3 fanout");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--cluster needs --start-server") != std::string::npos);
  run = stand_in.run("--start-server --cluster 1 fanout");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--cluster takes 2 to 8 nodes") != std::string::npos);
  run = stand_in.run("--start-server --cluster 3 --baseline redis fanout");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--cluster runs without --baseline") != std::string::npos);
  CHECK(run.tool_args.empty());
}

TEST_CASE("presets: --baseline takes redis or transports, and checks every preset before starting anything") {
  const StandIn stand_in;
  auto run = stand_in.run("--port 4242 --baseline mysql fanout");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--baseline knows redis and transports, not mysql") != std::string::npos);
  // The transports are those of a server the script configures itself.
  run = stand_in.run("--port 4242 --baseline transports fanout");
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("--baseline transports needs --start-server") != std::string::npos);
  CHECK(run.tool_args.empty());
  run = stand_in.run("--port 4242 --baseline redis fanout fanout2");
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK(run.output.find("unknown preset fanout2") != std::string::npos);
  CHECK(run.output.find("started redis-server") == std::string::npos);
  CHECK(run.tool_args.empty());
}

TEST_CASE("presets: --baseline redis alternates the two servers three times and prints medians and ratios") {
  if (!chat::test::RedisProcess::find_executable()) {
    MESSAGE("skipped: redis-server is not installed (Debian package redis-server; scripts/setup.sh installs it)");
    return;
  }
  const StandIn stand_in;
  const auto run = stand_in.run(
      "--port 4242 --server-pid 777 --baseline redis fanout",
      R"({"ok":true,"deliveries_per_s":3000000,"latency_us":{"count":9,"p50":1000,"p99":4000,"p99_9":8000}})", 0,
      R"({"ok":true,"deliveries_per_s":4000000,"latency_us":{"count":9,"p50":500,"p99":1000,"p99_9":2000}})");
  INFO(run.output);
  CHECK(run.exit_code == 0);
  REQUIRE(run.tool_args.size() == 6);
  std::string redis_port;
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    const auto o = parsed(run.tool_args[i]);
    check_rooms_of_fifty(o);
    CHECK(o.window == 16);
    if (i % 2 == 0) {
      CHECK(o.protocol == Protocol::Chat);
      CHECK(o.port == 4242);
      CHECK(o.server_pid == 777);
    } else {
      CHECK(o.protocol == Protocol::Redis);
      CHECK(o.port != 4242);
      CHECK(o.server_pid != 777);  // redis-server's own, for its RSS and CPU
      CHECK(o.server_pid > 0);
      if (redis_port.empty()) redis_port = std::to_string(o.port);
      CHECK(std::to_string(o.port) == redis_port);  // one redis-server for the sitting
    }
  }
  // Medians of three, ratio chat-server / redis.
  CHECK(run.output.find("== baseline fanout") != std::string::npos);
  CHECK(run.output.find("correct: chat-server ok ok ok; redis ok ok ok") != std::string::npos);
  const auto row = [&](const std::string& label) {
    const auto start = run.output.find("  " + label + " ");
    if (start == std::string::npos) return std::string();
    return run.output.substr(start, run.output.find('\n', start) - start);
  };
  const auto deliveries = row("deliveries/s");
  CAPTURE(deliveries);
  CHECK(deliveries.find("3.00M 3.00M 3.00M") != std::string::npos);
  CHECK(deliveries.find("4.00M 4.00M 4.00M") != std::string::npos);
  CHECK(deliveries.ends_with(" 0.75"));
  const auto p99 = row("latency p99 ms");
  CAPTURE(p99);
  CHECK(p99.ends_with(" 4.00"));
  CHECK(row("connects/s").empty());  // absent from every run: no row
  // The redis-server it started is gone once the script is.
  const auto started = run.output.find("started redis-server pid ");
  REQUIRE(started != std::string::npos);
  const pid_t pid = std::stoi(run.output.substr(started + 25));
  CHECK(pid > 0);
  CHECK(::kill(pid, 0) == -1);
}

TEST_CASE("presets: a server whose hello announces a rate limit is refused up front, saying how to run") {
  chat::test::ServerProcess limited;  // the default limits.rate_per_sec, 200
  const StandIn stand_in;
  const auto port = std::to_string(limited.port());
  auto run = stand_in.run("--port " + port + " smoke");
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK(run.tool_args.empty());  // nothing ran
  CHECK(run.output.find("limits each connection to 200.0 requests/s (burst 400.0") != std::string::npos);
  CHECK(run.output.find("loadtest/presets.sh --start-server smoke") != std::string::npos);
  CHECK(run.output.find("\"rate_per_sec\": 0") != std::string::npos);

  // idle only logs in: the limit does not get in its way.
  run = stand_in.run("--port " + port + " idle");
  CHECK(run.exit_code == 0);
  CHECK(run.tool_args.size() == 2);

  chat::test::ServerProcess unlimited(nlohmann::json{{"limits", {{"rate_per_sec", 0}}}});
  run = stand_in.run("--port " + std::to_string(unlimited.port()) + " smoke");
  CHECK(run.exit_code == 0);
  CHECK(run.tool_args.size() == 1);
}

TEST_CASE("presets: rooms are created by an account with a random password, printed once; what stays is said") {
  const StandIn stand_in;
  const auto first = stand_in.run("--port 4242 fanout bigroom");
  INFO(first.output);
  REQUIRE(first.tool_args.size() == 2);
  const auto fanout = parsed(first.tool_args[0]);
  const auto bigroom = parsed(first.tool_args[1]);
  CHECK(fanout.owner != "ltowner");
  CHECK(fanout.owner_password != "loadtest-owner");
  CHECK(fanout.owner_password.size() >= 16);
  // One account for the invocation's runs.
  CHECK(bigroom.owner == fanout.owner);
  CHECK(bigroom.owner_password == fanout.owner_password);
  const auto count = [](const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  // The runs' command lines show a placeholder: the script's notice is the one place it shows.
  CHECK(count(first.output, fanout.owner_password) == 1);
  CHECK(first.output.find("left on 127.0.0.1:4242: the rooms ltr<tag>_<n>") != std::string::npos);
  CHECK(first.output.find("the account " + fanout.owner) != std::string::npos);

  const auto second = stand_in.run("--port 4242 fanout");
  REQUIRE(second.tool_args.size() == 1);
  CHECK(parsed(second.tool_args[0]).owner_password != fanout.owner_password);
  CHECK(parsed(second.tool_args[0]).owner != fanout.owner);

  // An owner given to the tool is the tool's.
  const auto own = stand_in.run("--port 4242 fanout -- --owner mine --owner-password my-secret-1");
  REQUIRE(own.tool_args.size() == 1);
  CHECK(parsed(own.tool_args[0]).owner == "mine");
  CHECK(own.output.find("made up for this run") == std::string::npos);
}
