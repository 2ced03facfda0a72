// TLS on the chat protocol, against the real server process: the whole chat over TLS (a raw TLS stream and the
// real chat-client), the handshake's own deadline, plaintext on the TLS port, the connection limits, certificate
// reload on SIGHUP without dropping anyone, start-up errors, and a client that will not trust an unknown CA.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/client/client_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/loadtest_run.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/tls_test_client.hpp"
#include "tests/test_sync.hpp"

using chat::test::CertPair;
using chat::test::ClientProcess;
using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using chat::test::TlsTestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A throwaway directory with a fresh self-signed pair, removed at the end of the test.
struct CertDir {
  fs::path dir = chat::test::make_temp_dir("chat-tls");
  CertPair pair = chat::test::make_dev_cert(dir);
  ~CertDir() { chat::test::remove_temp_dir(dir); }
};

Json tls_config(const CertPair& pair, Json server = Json::object()) {
  if (!server.contains("tls_port")) server["tls_port"] = 0;
  return Json{{"server", server}, {"tls", {{"cert_file", pair.cert.string()}, {"key_file", pair.key.string()}}}};
}

std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

// The server's disconnect counters, as an administrator sees them (stats), over plain TCP.
Json disconnects(ServerProcess& server) {
  TestClient admin(server.port());
  expect_ok(admin.login("root"));
  return expect_ok(admin.request("stats"))["disconnects"];
}

std::vector<std::string> client_args(std::uint16_t port, std::vector<std::string> more) {
  std::vector<std::string> args{"--port", std::to_string(port), "--color", "never", "--utc", "--timeout", "20"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// chat-server --config <config> run to its end (a start-up that must fail).
chat::test::Run start_and_fail(const Json& overrides) {
  const auto dir = chat::test::make_temp_dir("chat-tls-start");
  Json config{{"server", {{"host", "127.0.0.1"}, {"port", 0}}}, {"storage", {{"path", (dir / "chat.db").string()}}}};
  for (const auto& [section, keys] : overrides.items()) {
    for (const auto& [key, value] : keys.items()) config[section][key] = value;  // a null stays null
  }
  std::ofstream(dir / "config.json") << config.dump(2);
  auto run = chat::test::run_to_end(
      {chat::test::binary("server/chat-server").string(), "--config", (dir / "config.json").string()}, 30s);
  chat::test::remove_temp_dir(dir);
  return run;
}

}  // namespace

TEST_CASE("TlsChat: register, join, send, receive, direct messages and history over a raw TLS stream") {
  CertDir certs;
  ServerProcess server(tls_config(certs.pair));
  TlsTestClient alice(server.tls_port(), certs.pair.cert);
  CHECK(alice.hello()["type"] == "hello");
  CHECK(alice.protocol() == "TLSv1.3");
  CHECK(alice.peer_fingerprint() == chat::test::file_fingerprint(certs.pair.cert));
  expect_ok(alice.request("register", {{"name", "alice"}, {"password", "password123"}}));
  expect_ok(alice.request("create", {{"room", "lobby"}}));

  // Bob over TLS, carol over plain TCP: the same room, the same messages.
  TlsTestClient bob(server.tls_port(), certs.pair.cert);
  expect_ok(bob.request("guest", {{"name", "bob"}}));
  {
    // Counted by transport: the two TLS connections, and this plain one asking.
    server.add_admin("root");
    TestClient admin(server.port());
    expect_ok(admin.login("root"));
    CHECK(expect_ok(admin.request("stats"))["connections_by_transport"] == Json({{"tcp", 1}, {"tls", 2}, {"ws", 0}}));
  }
  expect_ok(bob.request("join", {{"room", "lobby"}}));
  TestClient carol(server.port());
  expect_ok(carol.guest("carol"));
  expect_ok(carol.request("join", {{"room", "lobby"}}));

  expect_ok(alice.request("send", {{"room", "lobby"}, {"text", "hello over TLS"}}));
  const auto is_msg = [](const Json& e) { return e.value("type", "") == "msg" && e.value("text", "") == "hello over TLS"; };
  bool bob_saw = false;
  for (int i = 0; i < 10 && !bob_saw; ++i) {
    const auto event = bob.next(5s);
    REQUIRE(event.has_value());
    bob_saw = is_msg(*event);
  }
  CHECK(bob_saw);
  CHECK(carol.wait_event(is_msg)["from"] == "alice");

  // A large message crosses several TLS records and arrives whole.
  const std::string big(3000, 'x');
  expect_ok(bob.request("send", {{"room", "lobby"}, {"text", big}}));
  CHECK(carol.wait_event([&](const Json& e) { return e.value("text", "") == big; })["from"] == "bob");

  expect_ok(carol.request("dm", {{"to", "bob"}, {"text", "psst"}}));
  bool dm_seen = false;
  for (int i = 0; i < 10 && !dm_seen; ++i) {
    const auto event = bob.next(5s);
    REQUIRE(event.has_value());
    dm_seen = event->value("type", "") == "dm" && event->value("text", "") == "psst";
  }
  CHECK(dm_seen);

  const auto page = expect_ok(alice.request("history", {{"room", "lobby"}}));
  REQUIRE(page["messages"].size() == 2);
  CHECK(page["messages"][0]["text"] == "hello over TLS");
  CHECK(page["messages"][1]["text"] == big);
  CHECK(alice.request("ping")["type"] == "pong");
}

TEST_CASE("TlsClientScript: the real chat-client --tls --ca-file chats in --script mode; plain TCP can be off") {
  CertDir certs;
  ServerProcess::Options options;
  options.config = tls_config(certs.pair);
  options.null_keys = {"server.port"};
  ServerProcess server(options);
  // With plain TCP off, the ready file holds the TLS port.
  CHECK(server.port() == server.tls_port());
  TlsTestClient owner(server.tls_port(), certs.pair.cert);
  expect_ok(owner.request("register", {{"name", "owner"}, {"password", "password123"}}));
  expect_ok(owner.request("create", {{"room", "lobby"}}));

  ClientProcess client(client_args(server.tls_port(), {"--tls", "--ca-file", certs.pair.cert.string(), "--guest",
                                                       "--user", "gus", "--join", "#lobby"}),
                       "hello everyone\n/wait <~gus> hello everyone\n/msg owner hi owner\n/history #lobby 5\n/who\n");
  const int status = client.wait();
  INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
  CHECK(status == 0);
  CHECK(client.out().find("-- joined #lobby") != std::string::npos);
  // Once live, once in the history page.
  CHECK(chat::test::count(client.out(), "<~gus> hello everyone") == 2);
  CHECK(client.out().find("#lobby members: ") != std::string::npos);
  bool dm_seen = false;
  for (int i = 0; i < 20 && !dm_seen; ++i) {
    const auto event = owner.next(5s);
    REQUIRE(event.has_value());
    dm_seen = event->value("type", "") == "dm" && event->value("text", "") == "hi owner";
  }
  CHECK(dm_seen);
}

TEST_CASE("TlsReconnect: chat-client --tls reconnects over TLS after a server restart and misses nothing") {
  CertDir certs;
  const std::uint16_t tls_port = chat::test::free_port();
  ServerProcess server(tls_config(certs.pair, Json{{"tls_port", tls_port}}));
  {
    TlsTestClient owner(tls_port, certs.pair.cert);
    expect_ok(owner.request("register", {{"name", "owner"}, {"password", "password123"}}));
    expect_ok(owner.request("create", {{"room", "ops"}}));
  }
  ClientProcess amy(client_args(tls_port, {"--tls", "--ca-file", certs.pair.cert.string(), "--guest", "--user", "amy",
                                           "--retries", "30", "--join", "ops"}),
                    "/wait <owner> before restart\n/wait <owner> after restart\n");
  const auto owner_says = [&](const std::string& text) {
    TlsTestClient owner(tls_port, certs.pair.cert);
    expect_ok(owner.request("login", {{"name", "owner"}, {"password", "password123"}}));
    expect_ok(owner.request("join", {{"room", "ops"}}));
    expect_ok(owner.request("send", {{"room", "ops"}, {"text", text}}));
  };
  REQUIRE(amy.wait_for_output("-- joined #ops"));
  owner_says("before restart");
  REQUIRE(amy.wait_for_output("<owner> before restart"));
  server.restart();
  REQUIRE(server.tls_port() == tls_port);
  REQUIRE(amy.wait_for_output("rejoined #ops"));
  owner_says("after restart");
  const int status = amy.wait();
  INFO("stdout:\n" << amy.out() << "\nstderr:\n" << amy.err());
  CHECK(status == 0);
  CHECK(amy.err().find("reconnecting in") != std::string::npos);
  CHECK(chat::test::count(amy.out(), "#ops <owner> after restart") == 1);
}

TEST_CASE("TlsLoadtest: chat-loadtest --tls runs a closed loop with churners over TLS, nothing lost") {
  CertDir certs;
  auto config = tls_config(certs.pair);
  config["limits"] = {{"rate_per_sec", 0}};
  ServerProcess server(config);
  const auto run = chat::test::run_loadtest(
      "--port " + std::to_string(server.tls_port()) + " --tls --ca-file " + certs.pair.cert.string() +
      " --connections 30 --rooms 3 --senders 1 --churners 3 --warmup 0.5 --duration 1.5 --drain 2 --quiet");
  INFO(run.output);
  REQUIRE_FALSE(run.result.is_discarded());
  CHECK(run.exit_code == 0);
  CHECK(run.result["ok"] == true);
  CHECK(run.result["connected"] == 30);
  CHECK(run.result["delivered"].get<std::uint64_t>() > 0);
  CHECK(run.result["delivered"] == run.result["expected"]);
  CHECK(run.result["lost"] == 0);
  CHECK(run.result["disconnects"] == 0);
  // Without the CA the same run cannot even set its rooms up.
  const auto refused = chat::test::run_loadtest("--port " + std::to_string(server.tls_port()) +
                                                " --tls --connections 2 --rooms 1 --duration 0.5 --quiet 2>&1");
  CHECK(refused.exit_code != 0);
  CHECK(refused.output.find("certificate verify failed") != std::string::npos);
}

TEST_CASE("UnknownCa: chat-client --tls refuses a certificate it cannot verify, unless --insecure") {
  CertDir certs;
  CertDir other;
  ServerProcess server(tls_config(certs.pair));
  {
    // The system's store does not know a self-signed certificate.
    ClientProcess client(client_args(server.tls_port(), {"--tls", "--guest", "--user", "eve"}), "/who\n");
    const int status = client.wait();
    INFO("stderr:\n" << client.err());
    CHECK(status != 0);
    CHECK(client.err().find("certificate verify failed") != std::string::npos);
  }
  {
    // A CA file that holds another certificate is no better.
    ClientProcess client(
        client_args(server.tls_port(), {"--tls", "--ca-file", other.pair.cert.string(), "--guest", "--user", "eve"}),
        "/who\n");
    const int status = client.wait();
    INFO("stderr:\n" << client.err());
    CHECK(status != 0);
    CHECK(client.err().find("certificate verify failed") != std::string::npos);
  }
  {
    ClientProcess client(client_args(server.tls_port(), {"--tls", "--insecure", "--guest", "--user", "eve"}),
                         "/rooms\n");
    const int status = client.wait();
    INFO("stdout:\n" << client.out() << "\nstderr:\n" << client.err());
    CHECK(status == 0);
    CHECK(client.err().find("--insecure") != std::string::npos);
    CHECK(client.err().find("logged in as eve (guest)") != std::string::npos);
    CHECK(client.err().find("certificate verify failed") == std::string::npos);
  }
}

TEST_CASE("TlsHandshakeStall: a peer that opens TCP and stalls, or trickles half a ClientHello, is cut at the "
          "handshake deadline") {
  CertDir certs;
  ServerProcess server(tls_config(certs.pair, Json{{"tls_handshake_timeout_ms", 500}, {"login_timeout_sec", 60}}));
  server.add_admin("root");
  const auto started = std::chrono::steady_clock::now();
  TestClient silent(server.tls_port(), /*read_hello=*/false);
  TestClient trickler(server.tls_port(), /*read_hello=*/false);
  // A handshake record header that promises 512 bytes, and the first few of them.
  trickler.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  std::this_thread::sleep_for(200ms);
  trickler.send_raw(std::string(8, '\x01'));
  CHECK(silent.wait_closed(5s));
  CHECK(trickler.wait_closed(5s));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 400ms);
  CHECK(took < 4s);
  CHECK(chat::test::eventually([&] { return occurrences(server.log(), "disconnected: handshake_timeout") >= 2; }));
  CHECK(disconnects(server)["handshake_timeout"] == 2);
  // A TLS client that completes its handshake in time is unaffected.
  TlsTestClient prompt(server.tls_port(), certs.pair.cert);
  CHECK(prompt.request("ping")["type"] == "pong");
}

TEST_CASE("PlaintextOnTlsPort: a plaintext client on the TLS port fails the handshake and is closed and counted") {
  CertDir certs;
  ServerProcess server(tls_config(certs.pair));
  server.add_admin("root");
  TestClient plain(server.tls_port(), /*read_hello=*/false);
  plain.send_raw("{\"op\":\"ping\",\"id\":1}\n");
  CHECK(plain.wait_closed(5s));
  for (const auto& line : plain.events()) CHECK(line.value("type", "") != "pong");
  TestClient http(server.tls_port(), /*read_hello=*/false);
  http.send_raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(http.wait_closed(5s));
  CHECK(chat::test::eventually([&] { return occurrences(server.log(), "disconnected: handshake_failed") >= 2; }));
  CHECK(disconnects(server)["handshake_failed"] == 2);
  TlsTestClient fine(server.tls_port(), certs.pair.cert);
  CHECK(fine.request("ping")["type"] == "pong");
}

TEST_CASE("TlsPerAddressLimit: TLS connections count against limits.max_connections_per_ip with plain ones") {
  CertDir certs;
  auto config = tls_config(certs.pair);
  config["limits"] = {{"max_connections", 10}, {"max_connections_per_ip", 2}};
  ServerProcess server(config);
  TlsTestClient first(server.tls_port(), certs.pair.cert);
  TestClient second(server.port());
  // A third plain connection is refused with the usual line...
  TestClient refused(server.port(), /*read_hello=*/false);
  const auto line = refused.next(5s);
  REQUIRE(line.has_value());
  CHECK((*line)["code"] == "overloaded");
  // ...and so is a third TLS one: the refusal comes over TLS, after the handshake, as the same event.
  TlsTestClient refused_tls(server.tls_port(), certs.pair.cert, /*read_hello=*/false);
  const auto tls_line = refused_tls.next(5s);
  REQUIRE(tls_line.has_value());
  CHECK((*tls_line)["type"] == "error");
  CHECK((*tls_line)["code"] == "overloaded");
  // Another address still gets in, over TLS.
  TlsTestClient elsewhere(server.tls_port(), certs.pair.cert, true, "127.0.0.2");
  CHECK(elsewhere.request("ping")["type"] == "pong");
  CHECK(first.request("ping")["type"] == "pong");
}

TEST_CASE("TlsReload: SIGHUP swaps the certificate for new connections, keeps open ones, and survives bad files") {
  CertDir a;
  CertDir b;
  const auto dir = chat::test::make_temp_dir("chat-tls-live");
  const CertPair live{dir / "cert.pem", dir / "key.pem"};
  fs::copy_file(a.pair.cert, live.cert);
  fs::copy_file(a.pair.key, live.key);
  ServerProcess server(tls_config(live));

  TlsTestClient before(server.tls_port(), a.pair.cert);
  CHECK(before.peer_fingerprint() == chat::test::file_fingerprint(a.pair.cert));
  expect_ok(before.request("register", {{"name", "early"}, {"password", "password123"}}));
  expect_ok(before.request("create", {{"room", "lobby"}}));

  fs::copy_file(b.pair.cert, live.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(b.pair.key, live.key, fs::copy_options::overwrite_existing);
  server.send_signal(SIGHUP);
  REQUIRE(chat::test::eventually([&] { return occurrences(server.log(), "reload: TLS certificate") == 1; }));

  TlsTestClient after(server.tls_port(), b.pair.cert);
  CHECK(after.peer_fingerprint() == chat::test::file_fingerprint(b.pair.cert));
  CHECK_THROWS(TlsTestClient(server.tls_port(), a.pair.cert));  // the old certificate is no longer offered
  // The connection made before the reload goes on chatting.
  expect_ok(after.request("guest", {{"name", "late"}}));
  expect_ok(after.request("join", {{"room", "lobby"}}));
  expect_ok(before.request("send", {{"room", "lobby"}, {"text", "still here"}}));
  bool seen = false;
  for (int i = 0; i < 10 && !seen; ++i) {
    const auto event = after.next(5s);
    REQUIRE(event.has_value());
    seen = event->value("text", "") == "still here";
  }
  CHECK(seen);

  // A reload that fails (a key that no longer matches) is logged and changes nothing.
  fs::copy_file(a.pair.key, live.key, fs::copy_options::overwrite_existing);
  server.send_signal(SIGHUP);
  REQUIRE(chat::test::eventually([&] { return occurrences(server.log(), "keeping the certificate loaded before") == 1; }));
  CHECK(server.log().find("does not match the certificate") != std::string::npos);
  TlsTestClient still(server.tls_port(), b.pair.cert);
  CHECK(still.peer_fingerprint() == chat::test::file_fingerprint(b.pair.cert));
  CHECK(before.request("ping")["type"] == "pong");
  chat::test::remove_temp_dir(dir);
}

TEST_CASE("TlsStartupErrors: a missing, malformed or mismatched key or certificate stops start-up with the file "
          "and the reason") {
  CertDir a;
  CertDir b;
  const auto tls = [](const fs::path& cert, const fs::path& key) {
    return Json{{"server", {{"tls_port", 0}}}, {"tls", {{"cert_file", cert.string()}, {"key_file", key.string()}}}};
  };
  {
    const auto run = start_and_fail(tls(a.pair.cert, a.dir / "missing.pem"));
    INFO(run.out << run.err);
    CHECK(run.status == 1);
    CHECK((run.out + run.err).find("tls.key_file '" + (a.dir / "missing.pem").string() +
                                   "': cannot read: No such file or directory") != std::string::npos);
  }
  {
    const auto run = start_and_fail(tls(a.pair.cert, b.pair.key));
    INFO(run.out << run.err);
    CHECK(run.status == 1);
    CHECK((run.out + run.err).find("does not match the certificate in tls.cert_file") != std::string::npos);
  }
  {
    std::ofstream(a.dir / "garbage.pem") << "not a certificate\n";
    const auto run = start_and_fail(tls(a.dir / "garbage.pem", a.pair.key));
    INFO(run.out << run.err);
    CHECK(run.status == 1);
    CHECK((run.out + run.err).find("tls.cert_file '" + (a.dir / "garbage.pem").string() +
                                   "': no PEM certificate in it") != std::string::npos);
  }
  {
    const auto run = start_and_fail(Json{{"server", {{"tls_port", 0}}}});
    INFO(run.out << run.err);
    CHECK(run.status == 2);
    CHECK(run.err.find("tls.cert_file: required when server.tls_port is set") != std::string::npos);
  }
  {
    const auto run = start_and_fail(Json{{"server", {{"port", nullptr}}}});
    INFO(run.out << run.err);
    CHECK(run.status == 2);
    CHECK(run.err.find("server.port: null turns plain TCP off") != std::string::npos);
  }
}
