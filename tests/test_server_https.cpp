// HTTPS on the operator HTTP listener (http.tls), against the real server process: the endpoints over TLS
// with Strict-Transport-Security, plain HTTP on the HTTPS port, a whole chat over wss:, the per-address cap and a
// stalled handshake on that port, certificate reload on SIGHUP, and chat-loadtest --tls --transport ws.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/loadtest_run.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/tls_test_client.hpp"
#include "tests/support/websocket_client.hpp"
#include "tests/test_sync.hpp"

using chat::test::CertPair;
using chat::test::expect_ok;
using chat::test::HttpConnection;
using chat::test::ServerProcess;
using chat::test::TestClient;
using chat::test::TlsTestClient;
using chat::test::WebSocketClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct CertDir {
  fs::path dir = chat::test::make_temp_dir("chat-https");
  CertPair pair = chat::test::make_dev_cert(dir);
  ~CertDir() { chat::test::remove_temp_dir(dir); }
};

// A server whose HTTP listener speaks HTTPS with `pair`; `http` is merged over that section.
Json https_config(const CertPair& pair, Json http = Json::object()) {
  Json section{{"enabled", true}, {"port", 0}, {"tls", true}};
  section.merge_patch(http);
  return Json{{"http", section}, {"tls", {{"cert_file", pair.cert.string()}, {"key_file", pair.key.string()}}}};
}

// An HTTP answer as read off a TLS connection: the status and the headers (names lower-cased), the body.
struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

Answer parse_answer(const std::string& raw) {
  Answer answer;
  const auto end = raw.find("\r\n\r\n");
  REQUIRE_MESSAGE(end != std::string::npos, "no HTTP answer in: " << raw);
  REQUIRE(raw.starts_with("HTTP/1.1 "));
  answer.status = std::stoi(raw.substr(9, 3));
  for (auto at = raw.find("\r\n") + 2; at < end;) {
    const auto line_end = raw.find("\r\n", at);
    const auto line = raw.substr(at, line_end - at);
    const auto colon = line.find(':');
    auto name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    answer.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    at = line_end + 2;
  }
  answer.body = raw.substr(end + 4);
  return answer;
}

// One GET over HTTPS (Connection: close), the certificate verified against `ca`.
Answer https_get(std::uint16_t port, const fs::path& ca, const std::string& path, const char* source = nullptr) {
  TlsTestClient client(port, ca, /*read_hello=*/false, source);
  client.send_raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  return parse_answer(client.read_until_closed(5s));
}

// A wss: client's options: the certificate verified against `ca`.
WebSocketClient::Options wss(const fs::path& ca) {
  WebSocketClient::Options options;
  options.ca_file = ca.string();
  return options;
}

std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

}  // namespace

TEST_CASE("HttpsEndpoints: /health and /metrics over HTTPS answer with every security header and HSTS") {
  CertDir certs;
  ServerProcess server(https_config(certs.pair));
  CHECK(server.log().find("HTTPS only") != std::string::npos);
  const auto health = https_get(server.http_port(), certs.pair.cert, "/health");
  CHECK(health.status == 200);
  CHECK(Json::parse(health.body)["status"] == "ok");
  CHECK(health.headers.at("strict-transport-security") == "max-age=31536000");
  CHECK(health.headers.at("x-content-type-options") == "nosniff");
  CHECK(health.headers.at("x-frame-options") == "DENY");
  CHECK(health.headers.contains("content-security-policy"));
  // Refusals carry it too.
  const auto missing = https_get(server.http_port(), certs.pair.cert, "/nothing-here");
  CHECK(missing.status == 404);
  CHECK(missing.headers.at("strict-transport-security") == "max-age=31536000");
  const auto metrics = https_get(server.http_port(), certs.pair.cert, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("chat_http_connections_accepted_total") != std::string::npos);
}

TEST_CASE("plain HTTP is never told Strict-Transport-Security") {
  ServerProcess server(Json{{"http", {{"enabled", true}, {"port", 0}}}});
  const auto health = chat::test::http_get(server.http_port(), "/health");
  CHECK(health.status == 200);
  CHECK(health.header("strict-transport-security").empty());
}

TEST_CASE("PlaintextOnHttpsPort: plain HTTP to the HTTPS port gets no HTTP answer, only a close") {
  CertDir certs;
  ServerProcess server(https_config(certs.pair));
  HttpConnection plain(server.http_port());
  plain.send_raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK_FALSE(plain.read_answer(3s).has_value());
  CHECK(plain.wait_closed(3s));
  CHECK(plain.unread().find("HTTP/1.1") == std::string::npos);
  // The port still serves HTTPS.
  CHECK(https_get(server.http_port(), certs.pair.cert, "/health").status == 200);
}

TEST_CASE("WssChat: register, join, send and receive over wss:, with a TCP member in the same room") {
  CertDir certs;
  auto config = https_config(certs.pair);
  config["rooms"] = {{"default", "general"}};
  config["limits"] = {{"max_frame_bytes", 1 << 20}, {"max_message_chars", 100000}};
  ServerProcess server(config);
  server.add_admin("root");
  WebSocketClient ws(server.http_port(), wss(certs.pair.cert));
  CHECK(ws.hello()["type"] == "hello");
  TestClient tcp(server.port());
  expect_ok(ws.request("register", {{"name", "wendy"}, {"password", "password123"}}));
  expect_ok(ws.request("join", {{"room", "general"}}));
  expect_ok(tcp.guest("telly"));
  expect_ok(tcp.request("join", {{"room", "general"}}));

  const auto sent = expect_ok(ws.request("send", {{"room", "general"}, {"text", "hello over wss"}}));
  const auto own = ws.wait_event("msg");
  CHECK(own["text"] == "hello over wss");
  CHECK(own["seq"] == sent["seq"]);
  CHECK(tcp.wait_event([](const Json& e) { return e["type"] == "msg" && e["from"] == "wendy"; })["text"] ==
        "hello over wss");
  // A message larger than a TLS record comes whole.
  const std::string big(40000, 'w');
  expect_ok(tcp.request("send", {{"room", "general"}, {"text", big}}));
  for (;;) {
    const auto event = ws.wait_event("msg");
    if (event["from"] != "telly") continue;
    CHECK(event["text"] == big);
    break;
  }
  // Counted as a WebSocket connection, and as an upgrade.
  TestClient admin(server.port());
  expect_ok(admin.login("root"));
  CHECK(expect_ok(admin.request("stats"))["connections_by_transport"] == Json({{"tcp", 2}, {"tls", 0}, {"ws", 1}}));
  CHECK(ws.ping());
  // A plain ws: client cannot upgrade on the HTTPS port.
  CHECK_THROWS(WebSocketClient(server.http_port()));
}

TEST_CASE("HttpsSlotExhaustion: past http.max_connections_per_ip an HTTPS peer is told 503 over TLS; others get in") {
  CertDir certs;
  ServerProcess server(https_config(certs.pair, {{"max_connections_per_ip", 3}, {"request_timeout_ms", 30000}}));
  const auto port = server.http_port();
  // Idle connections, one still in its handshake (TCP only): each holds its place.
  std::vector<std::unique_ptr<TlsTestClient>> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(std::make_unique<TlsTestClient>(port, certs.pair.cert, false));
  HttpConnection handshaking(port);
  std::this_thread::sleep_for(200ms);
  const auto refused = https_get(port, certs.pair.cert, "/health");
  CHECK(refused.status == 503);
  CHECK(Json::parse(refused.body) == Json{{"error", "too_many_connections"}, {"detail", "http.max_connections_per_ip"}});
  CHECK(refused.headers.at("strict-transport-security") == "max-age=31536000");
  CHECK(https_get(port, certs.pair.cert, "/health", "127.0.0.2").status == 200);
}

TEST_CASE("HttpsHandshakeStall: a peer that opens TCP to the HTTPS port and never finishes the handshake is cut") {
  CertDir certs;
  ServerProcess server(https_config(certs.pair, {{"request_timeout_ms", 500}}));
  const auto started = std::chrono::steady_clock::now();
  HttpConnection silent(server.http_port());
  HttpConnection trickler(server.http_port());
  // A handshake record header that promises 512 bytes, and a few of them.
  trickler.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  CHECK(silent.wait_closed(5s));
  CHECK(trickler.wait_closed(5s));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 400ms);
  CHECK(took < 4s);
  const auto metrics = https_get(server.http_port(), certs.pair.cert, "/metrics");
  CHECK(metrics.body.find("chat_http_timeouts_total 2") != std::string::npos);
  CHECK(metrics.body.find("chat_http_connections 1") != std::string::npos);  // the scrape's own
}

TEST_CASE("HttpsReload: SIGHUP gives new HTTPS connections the new certificate, and open ones keep working") {
  CertDir a;
  CertDir b;
  const auto dir = chat::test::make_temp_dir("chat-https-live");
  const CertPair live{dir / "cert.pem", dir / "key.pem"};
  fs::copy_file(a.pair.cert, live.cert);
  fs::copy_file(a.pair.key, live.key);
  ServerProcess server(https_config(live));
  TlsTestClient before(server.http_port(), a.pair.cert, /*read_hello=*/false);
  CHECK(before.peer_fingerprint() == chat::test::file_fingerprint(a.pair.cert));
  WebSocketClient chatting(server.http_port(), wss(a.pair.cert));

  fs::copy_file(b.pair.cert, live.cert, fs::copy_options::overwrite_existing);
  fs::copy_file(b.pair.key, live.key, fs::copy_options::overwrite_existing);
  server.send_signal(SIGHUP);
  REQUIRE(chat::test::eventually([&] { return occurrences(server.log(), "reload: TLS certificate") == 1; }));

  TlsTestClient after(server.http_port(), b.pair.cert, /*read_hello=*/false);
  CHECK(after.peer_fingerprint() == chat::test::file_fingerprint(b.pair.cert));
  CHECK_THROWS(TlsTestClient(server.http_port(), a.pair.cert, false));  // the old one is no longer offered
  CHECK(https_get(server.http_port(), b.pair.cert, "/health").status == 200);
  // Connections made before the reload go on: a request on the kept-alive one, a ping on the chat.
  before.send_raw("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  CHECK(parse_answer(before.read_until_closed(5s)).status == 200);
  CHECK(chatting.request("ping")["type"] == "pong");
  chat::test::remove_temp_dir(dir);
}

TEST_CASE("WssLoadtest: chat-loadtest --tls --transport ws runs a small load over wss:, nothing lost") {
  CertDir certs;
  auto config = https_config(certs.pair);
  // The load tester's set-up goes over TLS to --port, the chat TLS listener.
  config["server"] = {{"tls_port", 0}};
  config["limits"] = {{"rate_per_sec", 0}};
  ServerProcess server(config);
  const auto run = chat::test::run_loadtest(
      "--port " + std::to_string(server.tls_port()) + " --tls --ca-file " + certs.pair.cert.string() +
      " --transport ws --http-port " + std::to_string(server.http_port()) +
      " --connections 6 --rooms 2 --senders 1 --warmup 0.3 --duration 1.2 --drain 2 --quiet");
  INFO(run.output);
  REQUIRE_FALSE(run.result.is_discarded());
  CHECK(run.exit_code == 0);
  CHECK(run.result["ok"] == true);
  CHECK(run.result["transport"] == "ws");
  CHECK(run.result["connected"] == 6);
  CHECK(run.result["delivered"].get<std::uint64_t>() > 0);
  CHECK(run.result["lost"] == 0);
  // The members came over wss: each upgraded on the HTTPS port.
  const auto metrics = https_get(server.http_port(), certs.pair.cert, "/metrics");
  CHECK(metrics.body.find("chat_http_websocket_upgrades_total 6") != std::string::npos);
}
