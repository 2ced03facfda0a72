// The real chat-client, in non-interactive mode, against a real chat-server.
#include <doctest/doctest.h>

#include <csignal>
#include <sstream>
#include <thread>

#include "tests/client/client_process.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using namespace chat::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::vector<std::string> client_args(std::uint16_t port, std::vector<std::string> more) {
  std::vector<std::string> args{"--port", std::to_string(port), "--color", "never", "--utc", "--timeout", "20"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Runs a client to completion; its output is printed when a check fails.
struct Finished {
  int status;
  std::string out;
  std::string err;
};

Finished run(std::uint16_t port, std::vector<std::string> args, std::string_view script) {
  ClientProcess client(client_args(port, std::move(args)), script);
  const int status = client.wait();
  return {status, client.out(), client.err()};
}

// A registered user who owns the public room `room`.
TestClient& room_owner(TestClient& owner, std::string_view room) {
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", room}}));
  return owner;
}

json wait_msg(TestClient& client, std::string_view text) {
  return client.wait_event([&](const json& e) { return e.value("type", "") == "msg" && e.value("text", "") == text; });
}

}  // namespace

TEST_CASE("a guest joins, talks and lists members; the script exits 0 after the last reply") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");

  const auto result = run(server.port(), {"--guest", "--user", "Gus", "--join", "#lobby"},
                          "hello everyone\n/wait <~gus> hello everyone\n/who\n");
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.status == 0);
  CHECK(result.out.find("-- joined #lobby") != std::string::npos);
  CHECK(count(result.out, "#lobby <~gus> hello everyone") == 1);
  CHECK(result.out.find("#lobby members: ") != std::string::npos);
  CHECK(result.out.find("gus") != std::string::npos);
  CHECK(result.err.find("logged in as gus (guest)") != std::string::npos);
  CHECK(wait_msg(owner, "hello everyone")["from"] == "gus");
}

TEST_CASE("two clients chat in a room, each line shown once") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");

  ClientProcess alice(client_args(server.port(), {"--guest", "--user", "alice"}),
                      "/join #lobby\n/wait <~bob> hi alice\nhi bob\n/wait <~alice> hi bob\n");
  // Bob speaks only once alice is in the room, so she cannot miss it.
  REQUIRE(alice.wait_for_output("-- joined #lobby"));
  ClientProcess bob(client_args(server.port(), {"--guest", "--user", "bob"}),
                    "/join #lobby\nhi alice\n/wait <~alice> hi bob\n");
  const int alice_status = alice.wait();
  const int bob_status = bob.wait();
  INFO("alice:\n" << alice.out() << alice.err() << "\nbob:\n" << bob.out() << bob.err());
  CHECK(alice_status == 0);
  CHECK(bob_status == 0);
  for (const auto& out : {alice.out(), bob.out()}) {
    CHECK(count(out, "#lobby <~bob> hi alice") == 1);  // guests, marked as such
    CHECK(count(out, "#lobby <~alice> hi bob") == 1);
  }
}

TEST_CASE("a direct message waits for an offline user's next login") {
  ServerProcess server;
  const auto erin_password = temp_file("erin", "erin's secret\n");
  const auto dora_password = temp_file("dora", "dora's secret\n");

  auto erin = run(server.port(), {"--register", "--user", "erin", "--password-file", erin_password.string()}, "");
  INFO("erin:\n" << erin.out << erin.err);
  REQUIRE(erin.status == 0);

  const auto dora = run(server.port(), {"--register", "--user", "dora", "--password-file", dora_password.string()},
                        "/msg erin are you there?\n");
  INFO("dora:\n" << dora.out << dora.err);
  CHECK(dora.status == 0);
  CHECK(dora.out.find("[dm -> erin] are you there?") != std::string::npos);

  erin = run(server.port(), {"--user", "erin", "--password-file", erin_password.string()},
             "/wait [dm dora -> erin] are you there?\n");
  INFO("erin again:\n" << erin.out << erin.err);
  CHECK(erin.status == 0);
  CHECK(count(erin.out, "[dm dora -> erin] are you there?") == 1);
}

TEST_CASE("history pages back; --json prints one parseable object per line") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "news");
  for (const auto* text : {"first", "second", "third"}) {
    expect_ok(owner.request("send", {{"room", "news"}, {"text", text}}));
  }

  const auto text = run(server.port(), {"--guest", "--user", "reader"}, "/join #news\n/history 2\n");
  INFO("text:\n" << text.out << text.err);
  CHECK(text.status == 0);
  CHECK(text.out.find("#news <owner> first") == std::string::npos);
  CHECK(count(text.out, "#news <owner> second") == 1);
  CHECK(count(text.out, "#news <owner> third") == 1);

  const auto json_run = run(server.port(), {"--guest", "--user", "robot", "--json"}, "/join #news\n/history 2\n");
  INFO("json:\n" << json_run.out << json_run.err);
  CHECK(json_run.status == 0);
  std::istringstream lines(json_run.out);
  std::vector<json> objects;
  for (std::string line; std::getline(lines, line);) {
    const auto object = json::parse(line);
    if (object.value("type", "") != "presence") objects.push_back(object);
  }
  REQUIRE(objects.size() == 2);
  CHECK(objects[0]["op"] == "join");
  CHECK(objects[1]["op"] == "history");
  CHECK(objects[1]["messages"].size() == 2);
  CHECK(objects[1]["messages"][1]["text"] == "third");
}

TEST_CASE("the exit status tells what went wrong") {
  ServerProcess server;
  const auto password = temp_file("pw", "right password\n");
  const auto wrong = temp_file("pw", "wrong password\n");
  REQUIRE(run(server.port(), {"--register", "--user", "vic", "--password-file", password.string()}, "").status == 0);

  SUBCASE("a refused command: 1, with the server's code; the lines after it still run") {
    const auto result = run(server.port(), {"--guest", "--user", "g1"}, "/join #nowhere\n/rooms\n");
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find("error [not_found]") != std::string::npos);
    CHECK(result.err.find("(join #nowhere)") != std::string::npos);
    CHECK(result.out.find("no rooms yet") != std::string::npos);
  }
  SUBCASE("a refused command with --json: 1, and the error reply is data on stdout") {
    const auto result = run(server.port(), {"--guest", "--user", "g5", "--json"}, "/join #nowhere\n");
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    const auto reply = json::parse(result.out.substr(0, result.out.find('\n')));
    CHECK(reply["type"] == "error");
    CHECK(reply["code"] == "not_found");
    CHECK(reply["op"] == "join");
  }
  SUBCASE("a refused --join: 1") {
    const auto result = run(server.port(), {"--guest", "--user", "g6", "--join", "nowhere"}, "");
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find("(join #nowhere)") != std::string::npos);
  }
  SUBCASE("a usage mistake: 1, with the usage line") {
    const auto result = run(server.port(), {"--guest", "--user", "g2"}, "/frobnicate\n/msg\n");
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find("unknown command /frobnicate") != std::string::npos);
    CHECK(result.err.find("usage: /msg USER text") != std::string::npos);
  }
  SUBCASE("a /wait that times out: 1") {
    const auto result = run(server.port(), {"--guest", "--user", "g3", "--timeout", "0.3"}, "/wait never printed\n");
    INFO(result.out << result.err);
    CHECK(result.status == 1);
    CHECK(result.err.find("/wait: no line with \"never printed\"") != std::string::npos);
  }
  SUBCASE("a wrong password: 4") {
    const auto result = run(server.port(), {"--user", "vic", "--password-file", wrong.string()}, "/rooms\n");
    INFO(result.out << result.err);
    CHECK(result.status == 4);
    CHECK(result.err.find("login as vic failed: [unauthorized]") != std::string::npos);
  }
  SUBCASE("no server: 3") {
    const auto result = run(free_port(), {"--guest", "--user", "g4"}, "/rooms\n");
    INFO(result.out << result.err);
    CHECK(result.status == 3);
    CHECK(result.err.find("cannot connect") != std::string::npos);
  }
  SUBCASE("bad flags: 2") {
    CHECK(run(server.port(), {"--guest"}, "").status == 2);
    CHECK(run(server.port(), {"--user", "bad name!"}, "").status == 2);
  }
  SUBCASE("a bad config file, a missing password file or script: 2") {
    const auto typo = temp_file("config.toml", "gust = true\n");
    const auto config = run(server.port(), {"--config", typo.string()}, "");
    CHECK(config.status == 2);
    CHECK(config.err.find("gust") != std::string::npos);
    const auto missing = (typo.parent_path() / "missing").string();
    const auto password = run(server.port(), {"--user", "vic", "--password-file", missing}, "");
    CHECK(password.status == 2);
    CHECK(password.err.find("cannot read password file " + missing + ": No such file or directory") !=
          std::string::npos);
    const auto script = run(server.port(), {"--guest", "--user", "g7", "--script", missing}, "");
    CHECK(script.status == 2);
    CHECK(script.err.find("cannot open " + missing) != std::string::npos);
  }
}

TEST_CASE("--script FILE runs the file's lines, not stdin") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");
  const auto script = temp_file("script", "/join #lobby\nfrom the script file\n/wait <~sam> from the script file\n");
  const auto result = run(server.port(), {"--guest", "--user", "sam", "--script", script.string()},
                          "/join #nowhere\n");
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.status == 0);
  CHECK(result.out.find("-- joined #lobby") != std::string::npos);
  CHECK(count(result.out, "#lobby <~sam> from the script file") == 1);
  CHECK(result.err.find("nowhere") == std::string::npos);
  CHECK(wait_msg(owner, "from the script file")["from"] == "sam");
}

TEST_CASE("the config file is read, and the command line wins over it") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");
  expect_ok(owner.request("create", {{"room", "dev"}}));
  const std::string settings = "port = " + std::to_string(server.port()) +
                               "  # the test server\n"
                               "user = \"cora\"\n"
                               "guest = true\n"
                               "join = [\"#lobby\", \"dev\"]\n"
                               "color = \"never\"\n"
                               "timeout = 20\n";

  SUBCASE("--config FILE") {
    const auto config = temp_file("client.toml", settings);
    ClientProcess client({"--config", config.string(), "--user", "cleo"}, "/who #dev\n");
    const int status = client.wait();
    INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
    CHECK(status == 0);
    CHECK(client.err().find("logged in as cleo (guest)") != std::string::npos);
    CHECK(client.out().find("-- joined #lobby") != std::string::npos);
    CHECK(client.out().find("-- joined #dev") != std::string::npos);
    CHECK(client.out().find("#dev members: ") != std::string::npos);
  }
  SUBCASE("the default file under XDG_CONFIG_HOME") {
    const auto config = temp_file("config.toml", settings);
    const auto home = config.parent_path() / "home";
    std::filesystem::create_directories(home / "chat-client");
    std::filesystem::rename(config, home / "chat-client" / "config.toml");
    ClientProcess client({}, "/who #lobby\n", ClientProcess::Input::File, {"XDG_CONFIG_HOME=" + home.string()});
    const int status = client.wait();
    INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
    CHECK(status == 0);
    CHECK(client.err().find("logged in as cora (guest)") != std::string::npos);
    CHECK(client.out().find("#lobby members: ") != std::string::npos);
  }
}

TEST_CASE("a script read from a pipe runs lines as they come and exits after the reply to the last") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");
  ClientProcess client(client_args(server.port(), {"--guest", "--user", "pip"}), "/join #lobby\n",
                       ClientProcess::Input::Pipe);
  REQUIRE(client.wait_for_output("-- joined #lobby"));
  client.feed("through the pipe\n");
  CHECK(wait_msg(owner, "through the pipe")["from"] == "pip");
  client.close_input();
  const int status = client.wait();
  INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
  CHECK(status == 0);
}

TEST_CASE("a script fed by a pipe that stays open (tail -f) exits 3 once reconnecting gives up") {
  ServerProcess server;
  TestClient owner(server.port());
  room_owner(owner, "lobby");
  ClientProcess client(client_args(server.port(), {"--guest", "--user", "pip", "--retries", "1", "--join", "lobby"}),
                       "/who\n", ClientProcess::Input::Pipe);
  REQUIRE(client.wait_for_output("#lobby members: "));
  server.terminate();
  const int status = client.wait(std::chrono::seconds(30));
  INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
  CHECK(status == 3);
  CHECK(client.err().find("gave up after 1 attempt to reconnect") != std::string::npos);
}

TEST_CASE("across a server restart the client reconnects and misses nothing, twice nothing") {
  const std::uint16_t port = free_port();
  ServerProcess::Options options;
  options.config = {{"server", {{"port", port}}}};
  ServerProcess server(options);
  const auto password = temp_file("pw", "amy's password\n");
  {
    TestClient owner(port);
    room_owner(owner, "ops");
  }
  ClientProcess amy(client_args(port, {"--register", "--user", "amy", "--password-file", password.string(),
                                       "--retries", "30", "--join", "ops"}),
                    "/wait <owner> before restart\n/wait <owner> while away\n/wait <owner> after restart\n");
  {
    TestClient owner(port);
    expect_ok(owner.login("owner"));
    expect_ok(owner.request("join", {{"room", "ops"}}));
    REQUIRE(amy.wait_for_output("-- joined #ops"));
    expect_ok(owner.request("send", {{"room", "ops"}, {"text", "before restart"}}));
    REQUIRE(amy.wait_for_output("<owner> before restart"));
  }

  // Frozen, amy cannot reconnect before "while away" is stored: she can
  // only get it by rejoining with `since`.
  amy.signal(SIGSTOP);
  server.restart();
  REQUIRE(server.port() == port);
  TestClient owner(port);
  expect_ok(owner.login("owner"));
  expect_ok(owner.request("join", {{"room", "ops"}}));
  expect_ok(owner.request("send", {{"room", "ops"}, {"text", "while away"}}));
  amy.signal(SIGCONT);

  REQUIRE(amy.wait_for_output("rejoined #ops, 1 missed message"));
  expect_ok(owner.request("send", {{"room", "ops"}, {"text", "after restart"}}));
  const int status = amy.wait();
  const auto out = amy.out();
  const auto err = amy.err();
  INFO("stdout:\n" << out << "\nstderr:\n" << err);
  CHECK(status == 0);
  CHECK(err.find("reconnecting in") != std::string::npos);
  CHECK(err.find("logged in again as amy") != std::string::npos);
  CHECK(count(out, "#ops <owner> before restart") == 1);
  CHECK(count(out, "#ops <owner> while away") == 1);
  CHECK(count(out, "#ops <owner> after restart") == 1);
}

TEST_CASE("a kicked user is told by whom and why; once banned, rejoining fails") {
  ServerProcess server;
  TestClient carol(server.port());
  expect_ok(carol.register_user("carol"));
  expect_ok(carol.request("create", {{"room", "den"}}));

  ClientProcess bob(client_args(server.port(), {"--guest", "--user", "bob"}),
                    "/join #den\n/wait you were kicked by carol (too loud)\n/join #den\n"
                    "/wait you were banned by carol\n/join #den\n");
  REQUIRE(bob.wait_for_output("-- joined #den"));
  expect_ok(carol.request("kick", {{"room", "den"}, {"user", "bob"}, {"reason", "too loud"}}));
  // Bob joins again (a kick does not keep him out); then the ban does.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (count(bob.out(), "-- joined #den") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE(count(bob.out(), "-- joined #den") == 2);
  expect_ok(carol.request("ban", {{"room", "den"}, {"user", "bob"}}));
  const int status = bob.wait();
  INFO("stdout:\n" << bob.out() << "\nstderr:\n" << bob.err());
  CHECK(status == 1);
  CHECK(count(bob.out(), "#den -- you were kicked by carol (too loud)") == 1);
  CHECK(count(bob.out(), "#den -- you were banned by carol") == 1);
  CHECK(bob.err().find("error [forbidden]") != std::string::npos);
  CHECK(bob.err().find("(join #den)") != std::string::npos);
}

TEST_CASE("a resume the server replays only in part fetches the rest: every missed message once, in seq order") {
  const std::uint16_t port = free_port();
  ServerProcess::Options options;
  // At most five replayed, and history pages of a few messages each: the
  // rest of the backlog takes several pages.
  options.config = {{"server", {{"port", port}}},
                    {"limits", {{"replay_max", 5}, {"max_message_chars", 200}, {"outbound_queue_bytes", 4096}}}};
  ServerProcess server(options);
  const auto password = temp_file("pw", "amy's password\n");
  {
    TestClient owner(port);
    room_owner(owner, "ops");
  }
  constexpr int kMissed = 30;
  const auto missed_text = [](int n) {
    char number[12];  // any int fits
    std::snprintf(number, sizeof number, "%02d", n);
    return "missed " + std::string(number) + " " + std::string(140, 'x');
  };

  const bool json_mode = [] {
    bool json_run = false;
    SUBCASE("as text; the script ends while the rest is being fetched, and its exit waits for it") {}
    SUBCASE("with --json, and a live message meanwhile") { json_run = true; }
    return json_run;
  }();
  std::vector<std::string> args{"--register", "--user", "amy", "--password-file", password.string(),
                                "--retries", "30", "--join", "ops"};
  if (json_mode) args.emplace_back("--json");
  const std::string script = json_mode ? "/wait before restart\n/wait -- fetching \n/wait after restart\n"
                                       : "/wait before restart\n/wait -- fetching \n";
  ClientProcess amy(client_args(port, args), script);
  {
    TestClient owner(port);
    expect_ok(owner.login("owner"));
    expect_ok(owner.request("join", {{"room", "ops"}}));
    REQUIRE(amy.wait_for_output(json_mode ? "\"op\":\"join\"" : "-- joined #ops"));
    expect_ok(owner.request("send", {{"room", "ops"}, {"text", "before restart"}}));
    REQUIRE(amy.wait_for_output("before restart"));
  }

  // Frozen, amy cannot reconnect before the backlog is stored.
  amy.signal(SIGSTOP);
  server.restart();
  REQUIRE(server.port() == port);
  TestClient owner(port);
  expect_ok(owner.login("owner"));
  expect_ok(owner.request("join", {{"room", "ops"}}));
  for (int n = 1; n <= kMissed; ++n) expect_ok(owner.request("send", {{"room", "ops"}, {"text", missed_text(n)}}));
  amy.signal(SIGCONT);

  CHECK(amy.wait_for_output("-- fetching "));
  if (json_mode) expect_ok(owner.request("send", {{"room", "ops"}, {"text", "after restart"}}));
  const int status = amy.wait();
  const auto out = amy.out();
  const auto err = amy.err();
  INFO("stdout:\n" << out << "\nstderr:\n" << err);
  CHECK(status == 0);
  CHECK(err.find(" missed messages of #ops") != std::string::npos);
  CHECK(err.find("rejoined #ops, " + std::to_string(kMissed) + " missed messages") != std::string::npos);

  std::vector<std::string> expected{"before restart"};
  for (int n = 1; n <= kMissed; ++n) expected.push_back(missed_text(n));
  if (json_mode) expected.emplace_back("after restart");
  std::vector<std::string> shown;
  if (json_mode) {
    std::istringstream lines(out);
    std::int64_t seq = 0;
    for (std::string line; std::getline(lines, line);) {
      const auto object = json::parse(line);
      if (object.value("type", "") != "msg") continue;
      CHECK(object["seq"] == ++seq);
      shown.push_back(object.value("text", ""));
    }
  } else {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (const auto at = line.find("#ops <owner> "); at != std::string::npos) shown.push_back(line.substr(at + 13));
    }
  }
  CHECK(shown == expected);
}

TEST_CASE("a script joins only what it names, not the server's default room") {
  json config;
  config["rooms"]["default"] = nullptr;  // the embedded "#general", which the test harness turns off
  ServerProcess server(config);
  TestClient watcher(server.port());
  expect_ok(watcher.register_user("watcher"));
  expect_ok(watcher.request("join", {{"room", "general"}}));

  const auto result = run(server.port(), {"--guest", "--user", "gus"}, "/who #general\n");
  INFO("stdout:\n" << result.out << "\nstderr:\n" << result.err);
  CHECK(result.status == 0);
  CHECK(result.out.find("joined #general") == std::string::npos);
  CHECK(expect_ok(watcher.request("members", {{"room", "general"}}))["members"].size() == 1);
}
