// Chat over a WebSocket (GET /ws on the operator HTTP port) against the real server: the same protocol,
// limits and replies as over TCP, the close codes, and the attacks an upgrade endpoint draws, each test named
// after what it proves.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/loopback_socket.hpp"
#include "tests/support/busy_hashing.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/websocket_client.hpp"

using chat::test::expect_ok;
using chat::test::http_get;
using chat::test::HttpConnection;
using chat::test::ServerProcess;
using chat::test::TestClient;
using chat::test::WebSocketClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A server with the HTTP surface (and so /ws) on a free port; `rest` is merged over that.
Json with_http(Json rest = Json::object(), Json http = Json::object()) {
  Json section{{"enabled", true}, {"port", 0}};
  section.merge_patch(http);
  rest["http"] = section;
  return rest;
}

std::string upgrade_request(std::uint16_t port, const std::string& origin) {
  std::string request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  if (!origin.empty()) request += "Origin: " + origin + "\r\n";
  return request + "\r\n";
}

}  // namespace

TEST_CASE("a WebSocket connection gets the hello first, then registers, joins and chats with the same JSON as TCP") {
  ServerProcess server(with_http({{"rooms", {{"default", "general"}}}}));
  WebSocketClient ws(server.http_port());
  TestClient tcp(server.port());
  CHECK(ws.hello()["type"] == "hello");
  CHECK(ws.hello() == tcp.hello());

  expect_ok(ws.request("register", {{"name", "wendy"}, {"password", "password123"}}));
  const auto join = expect_ok(ws.request("join", {{"room", "general"}}));
  CHECK(join["room"] == "general");
  const auto sent = expect_ok(ws.request("send", {{"room", "general"}, {"text", "hello over a websocket"}}));
  const auto own = ws.wait_event("msg");
  CHECK(own["from"] == "wendy");
  CHECK(own["text"] == "hello over a websocket");
  CHECK(own["seq"] == sent["seq"]);
}

TEST_CASE("a WebSocket user and a TCP user chat both ways in one room") {
  ServerProcess server(with_http({{"rooms", {{"default", "general"}}}}));
  WebSocketClient ws(server.http_port());
  TestClient tcp(server.port());
  expect_ok(ws.request("guest", {{"name", "webby"}}));
  expect_ok(tcp.guest("telly"));
  expect_ok(ws.request("join", {{"room", "general"}}));
  expect_ok(tcp.request("join", {{"room", "general"}}));

  expect_ok(ws.request("send", {{"room", "general"}, {"text", "from the browser"}}));
  const auto at_tcp = tcp.wait_event([](const Json& e) { return e["type"] == "msg" && e["from"] == "webby"; });
  CHECK(at_tcp["text"] == "from the browser");

  expect_ok(tcp.request("send", {{"room", "general"}, {"text", "from the terminal"}}));
  for (;;) {
    const auto event = ws.wait_event("msg");
    if (event["from"] != "telly") continue;
    CHECK(event["text"] == "from the terminal");
    // The very same event line as the TCP member got of it.
    const auto tcp_copy = tcp.wait_event([](const Json& e) { return e["type"] == "msg" && e["from"] == "telly"; });
    CHECK(event == tcp_copy);
    break;
  }
}

TEST_CASE("several requests in one message are each answered, as lines on TCP are") {
  ServerProcess server(with_http());
  WebSocketClient ws(server.http_port());
  ws.send_text(R"({"op":"ping","id":1})" "\n" R"({"op":"ping","id":2})");
  auto first = ws.next();
  auto second = ws.next();
  REQUIRE(first);
  REQUIRE(second);
  // Requests of no room are handled in parallel: their replies may come in either order, matched by id.
  const std::set<int> ids{(*first)["id"].get<int>(), (*second)["id"].get<int>()};
  CHECK(ids == std::set<int>{1, 2});
  CHECK((*first)["type"] == "pong");
  CHECK((*second)["type"] == "pong");
}

TEST_CASE("events of every size arrive whole, a replay of many in a row too, in order") {
  ServerProcess server(with_http({{"rooms", {{"default", "general"}}},
                                  {"limits", {{"max_frame_bytes", 1 << 20}, {"max_message_chars", 100000}}}}));
  WebSocketClient ws(server.http_port());
  TestClient tcp(server.port());
  expect_ok(tcp.guest("writer"));
  expect_ok(tcp.request("join", {{"room", "general"}}));
  // Texts whose events take each frame header size: 7-bit, 16-bit and 64-bit lengths.
  const std::vector<std::size_t> sizes{10, 1000, 70000, 20, 65000, 125, 126};
  for (const auto size : sizes) expect_ok(tcp.request("send", {{"room", "general"}, {"text", std::string(size, 'a')}}));
  expect_ok(ws.request("guest", {{"name", "reader"}}));
  const auto join = expect_ok(ws.request("join", {{"room", "general"}, {"since", 0}}));
  CHECK(join["replayed"] == sizes.size());
  for (const auto size : sizes) {
    const auto event = ws.wait_event("msg");
    CHECK(event["replay"] == true);
    CHECK(event["text"].get<std::string>().size() == size);
  }
  expect_ok(tcp.request("send", {{"room", "general"}, {"text", std::string(80000, 'b')}}));
  CHECK(ws.wait_event("msg")["text"].get<std::string>() == std::string(80000, 'b'));
}

TEST_CASE("CrossSiteWebSocketHijacking: an upgrade from a foreign Origin gets 403 and no chat connection") {
  ServerProcess server(with_http());
  HttpConnection connection(server.http_port());
  connection.send_raw(upgrade_request(server.http_port(), "https://evil.example"));
  const auto answer = connection.read_answer();
  REQUIRE(answer);
  CHECK(answer->status == 403);
  CHECK(Json::parse(answer->body)["error"] == "origin_not_allowed");
  CHECK(connection.wait_closed());
  CHECK_THROWS(WebSocketClient(server.http_port(), {.origin = "http://127.0.0.1:1"}));  // another port, another site
  // Nothing became a chat connection.
  const auto metrics = http_get(server.http_port(), "/metrics");
  CHECK(metrics.body.find("chat_connections{transport=\"ws\"} 0") != std::string::npos);
  CHECK(server.log().find("over ws") == std::string::npos);
  // The server's own pages, and clients that are no browser (no Origin), get in.
  WebSocketClient same_site(server.http_port(), {.origin = "http://127.0.0.1:" + std::to_string(server.http_port())});
  WebSocketClient no_browser(server.http_port());
  CHECK(same_site.request("ping")["type"] == "pong");
}

TEST_CASE("DnsRebinding: a page of another site whose name points at the loopback listener is refused") {
  ServerProcess server(with_http());  // http.address 127.0.0.1, no allowed_origins
  const auto port = std::to_string(server.http_port());
  HttpConnection connection(server.http_port());
  connection.send_raw("GET /ws HTTP/1.1\r\nHost: rebind.example:" + port +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://rebind.example:" + port +
                      "\r\n\r\n");
  const auto answer = connection.read_answer();
  REQUIRE(answer);
  CHECK(answer->status == 403);
  CHECK(Json::parse(answer->body)["error"] == "origin_not_allowed");
  // The server's own page by a loopback name still gets in.
  WebSocketClient own(server.http_port(), {.origin = "http://localhost:" + port, .host = "localhost:" + port});
  CHECK(own.request("ping")["type"] == "pong");
}

TEST_CASE("http.allowed_origins lets exactly the listed origins in") {
  ServerProcess server(with_http({}, {{"allowed_origins", {"https://chat.example.org"}}}));
  WebSocketClient listed(server.http_port(), {.origin = "https://chat.example.org"});
  CHECK(listed.request("ping")["type"] == "pong");
  CHECK_THROWS(WebSocketClient(server.http_port(), {.origin = "https://chat.example.org.evil.example"}));
  const auto own_origin = "http://127.0.0.1:" + std::to_string(server.http_port());
  CHECK_THROWS(WebSocketClient(server.http_port(), {.origin = own_origin}));
}

TEST_CASE("http.websocket off: /ws is an unknown path") {
  ServerProcess server(with_http({}, {{"websocket", false}}));
  CHECK(http_get(server.http_port(), "/ws").status == 404);
  CHECK_THROWS(WebSocketClient(server.http_port()));
}

TEST_CASE("a plain GET /ws, not an upgrade, is answered 426 Upgrade Required") {
  ServerProcess server(with_http());
  const auto answer = http_get(server.http_port(), "/ws");
  CHECK(answer.status == 426);
  CHECK(answer.header("upgrade") == "websocket");
  CHECK(Json::parse(answer.body)["error"] == "upgrade_required");
}

TEST_CASE("PayloadLimitBypass: a message over limits.max_frame_bytes gets too_large, then close code 1009") {
  ServerProcess server(with_http({{"limits", {{"max_frame_bytes", 1024}}}}));
  WebSocketClient ws(server.http_port());
  ws.send_text(R"({"op":"ping","id":1})");
  ws.send_text(std::string(64 * 1024, 'x'));
  auto pong = ws.next();
  REQUIRE(pong);
  CHECK((*pong)["id"] == 1);
  auto refusal = ws.next();
  REQUIRE(refusal);
  CHECK((*refusal)["code"] == "too_large");
  CHECK(ws.wait_closed());
  CHECK(ws.close_code() == 1009);
}

TEST_CASE("a binary message is not the protocol: the requests before it are answered, then close code 1003") {
  ServerProcess server(with_http());
  WebSocketClient ws(server.http_port());
  ws.send_text(R"({"op":"ping","id":7})");
  ws.send_binary(R"({"op":"ping","id":8})");
  auto pong = ws.next();
  REQUIRE(pong);
  CHECK((*pong)["id"] == 7);
  CHECK(ws.wait_closed());
  CHECK(ws.close_code() == 1003);
}

TEST_CASE("RequestFlood: requests faster than limits.rate_per_sec are refused rate_limited, as on TCP") {
  // 1 a second: however slowly a loaded machine reads the 50, at most a few more than the burst pass.
  ServerProcess server(with_http({{"limits", {{"rate_per_sec", 1}, {"rate_burst", 5}, {"rate_abuse_strikes", 1000}}}}));
  WebSocketClient ws(server.http_port());
  for (int i = 0; i < 50; ++i) ws.send(Json{{"op", "ping"}, {"id", i}});
  int limited = 0;
  for (int i = 0; i < 50; ++i) {
    auto reply = ws.next();
    REQUIRE(reply);
    if (reply->value("code", "") == "rate_limited") ++limited;
  }
  CHECK(limited >= 40);
}

TEST_CASE("RateAbuseClose: past limits.rate_abuse_strikes the refusal is the last message, then close code 1008") {
  ServerProcess server(with_http({{"limits", {{"rate_per_sec", 1}, {"rate_burst", 1}, {"rate_abuse_strikes", 5}}}}));
  WebSocketClient ws(server.http_port());
  for (int i = 0; i < 20; ++i) ws.send(Json{{"op", "ping"}, {"id", i}});
  CHECK(ws.wait_closed());
  CHECK(ws.close_code() == 1008);
}

TEST_CASE("a ping is answered with a pong, and does not count as a request") {
  ServerProcess server(with_http());
  WebSocketClient ws(server.http_port());
  CHECK(ws.ping());
  CHECK(ws.ping());
  CHECK(ws.request("ping")["type"] == "pong");
}

TEST_CASE("IdleConnection: the idle deadline holds over a WebSocket, pings or not") {
  ServerProcess server(with_http({{"server", {{"idle_timeout_sec", 1}}}}));
  WebSocketClient ws(server.http_port());
  expect_ok(ws.request("guest", {{"name", "quiet"}}));
  CHECK(ws.ping());
  CHECK(ws.wait_closed(5s));
  CHECK(ws.close_code() == 1008);
}

TEST_CASE("the per-address connection limit counts WebSocket connections with TCP ones") {
  ServerProcess server(with_http({{"limits", {{"max_connections", 10}, {"max_connections_per_ip", 2}}}}));
  TestClient tcp(server.port());
  WebSocketClient ws(server.http_port());
  // A third from the same address, over either transport, is refused with the same error event.
  WebSocketClient refused_ws(server.http_port(), {.origin = "", .source_address = nullptr, .read_hello = false});
  auto line = refused_ws.next();
  REQUIRE(line);
  CHECK((*line)["code"] == "overloaded");
  CHECK((*line)["message"].get<std::string>().find("address") != std::string::npos);
  CHECK(refused_ws.wait_closed());
  CHECK(refused_ws.close_code() == 1013);
  TestClient refused_tcp(server.port(), /*read_hello=*/false);
  auto tcp_line = refused_tcp.next();
  REQUIRE(tcp_line);
  CHECK((*tcp_line)["code"] == "overloaded");
  CHECK(refused_tcp.wait_closed());
  CHECK(ws.request("ping")["type"] == "pong");
}

TEST_CASE("connections are counted by transport in stats and in /metrics") {
  ServerProcess server(with_http());
  server.add_admin("root");
  WebSocketClient ws(server.http_port());
  TestClient tcp(server.port());
  TestClient other(server.port());
  expect_ok(ws.request("login", {{"name", "root"}, {"password", "password123"}}));
  const auto stats = expect_ok(ws.request("stats"));
  CHECK(stats["connections"] == 3);
  CHECK(stats["connections_by_transport"] == Json({{"tcp", 2}, {"tls", 0}, {"ws", 1}}));
  // /metrics shares a snapshot for up to a second.
  std::this_thread::sleep_for(1100ms);
  const auto metrics = http_get(server.http_port(), "/metrics").body;
  CHECK(metrics.find("chat_connections{transport=\"tcp\"} 2") != std::string::npos);
  CHECK(metrics.find("chat_connections{transport=\"ws\"} 1") != std::string::npos);
  CHECK(metrics.find("chat_http_websocket_upgrades_total 1") != std::string::npos);
}

TEST_CASE("a WebSocket upgrade asked for during a shutdown is not answered and becomes no chat connection") {
  // Slow password hashes on the one hash worker keep the shutdown draining while the upgrade is tried.
  ServerProcess server(with_http({{"auth", chat::test::slow_password_hashes()}}));
  const auto port = server.http_port();
  const auto registering = chat::test::keep_hashing(server.port());
  server.send_signal(SIGTERM);
  // The HTTP listener still answers (503 from /ready) while the server drains.
  bool draining = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!draining && std::chrono::steady_clock::now() < deadline) {
    draining = http_get(port, "/ready").status == 503;
    if (!draining) std::this_thread::sleep_for(20ms);
  }
  REQUIRE_MESSAGE(draining, "the server stopped draining before the upgrade could be tried");
  HttpConnection connection(port);
  connection.send_raw(upgrade_request(port, ""));
  const auto answer = connection.read_answer();
  if (answer) CHECK(answer->status != 101);
  CHECK(connection.wait_closed());
  CHECK(server.wait_exit(20s) == 0);
  CHECK(server.log().find("over ws") == std::string::npos);
}

TEST_CASE("SIGTERM: a WebSocket client gets the shutdown event, then close code 1001") {
  ServerProcess server(with_http());
  WebSocketClient ws(server.http_port());
  expect_ok(ws.request("guest", {{"name", "leaving"}}));
  server.send_signal(SIGTERM);
  const auto notice = ws.wait_event("shutdown");
  CHECK(notice["type"] == "shutdown");
  CHECK(ws.wait_closed());
  CHECK(ws.close_code() == 1001);
  CHECK(server.wait_exit(20s) == 0);
}

TEST_CASE("UnreadPongs: a peer that floods pings and reads nothing is still cut at its deadline, its slot freed") {
  // Beast answers every ping from inside the session's pending read; a peer that never reads leaves a pong
  // unwritten for good, and Beast's closing handshake waits for it before its own timer starts. The close
  // that the log-in deadline begins must end the connection all the same, within the closing deadline.
  // The log-in deadline comes after the flood has filled the window (well within a second on loopback): a
  // close begun before that would still go out, and Beast's own timer would end it.
  ServerProcess server(with_http({{"server", {{"login_timeout_sec", 4}}}}));
  const auto port = server.http_port();
  const auto connected_at = std::chrono::steady_clock::now();
  const int fd = chat::test::connect_loopback(port, nullptr, /*receive_buffer=*/4096);
  const std::string request = upgrade_request(port, "");
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string answer;
  char byte = 0;
  while (answer.find("\r\n\r\n") == std::string::npos && answer.size() < 4096 && ::recv(fd, &byte, 1, 0) == 1) {
    answer += byte;  // one byte at a time: nothing after the upgrade's answer is read
  }
  REQUIRE(answer.rfind("HTTP/1.1 101", 0) == 0);

  // Masked pings of 125 bytes (the most a control frame carries), as fast as the server takes them, until
  // it takes no more: its pongs have filled the small window and its reading has stopped behind them.
  std::string ping{'\x89', static_cast<char>(0x80 | 125), 0, 0, 0, 0};
  ping.append(125, 'p');
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto flood_end = std::chrono::steady_clock::now() + 10s;
  auto blocked_since = std::chrono::steady_clock::time_point::max();
  std::size_t sent = 0;
  while (std::chrono::steady_clock::now() < flood_end) {
    const auto n = ::send(fd, ping.data(), ping.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      blocked_since = std::chrono::steady_clock::time_point::max();
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) break;  // cut already
    if (blocked_since == std::chrono::steady_clock::time_point::max()) blocked_since = std::chrono::steady_clock::now();
    if (std::chrono::steady_clock::now() - blocked_since > 500ms) break;
    std::this_thread::sleep_for(5ms);
  }
  MESSAGE("pings sent: ", sent / ping.size());
  REQUIRE_MESSAGE(blocked_since != std::chrono::steady_clock::time_point::max(),
                  "the server kept reading: its pongs never filled the window");
  REQUIRE_MESSAGE(std::chrono::steady_clock::now() - connected_at < 4s,
                  "the flood took longer than the log-in deadline: the close would not have met a full window");

  // The log-in deadline (4 s) begins the close, the closing deadline (5 s) ends it: the connection leaves
  // the server's count, however full its window.
  const auto gone_by = std::chrono::steady_clock::now() + 20s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < gone_by) {
    gone = http_get(port, "/metrics").body.find("chat_connections{transport=\"ws\"} 0") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(250ms);
  }
  CHECK(gone);
  // Cut, not left half open: the socket reports the reset (or the end) once its unread bytes are read.
  char sink[65536];
  bool ended = false;
  const auto read_by = std::chrono::steady_clock::now() + 5s;
  while (!ended && std::chrono::steady_clock::now() < read_by) {
    const auto got = ::recv(fd, sink, sizeof sink, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) std::this_thread::sleep_for(10ms);
    ended = got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK);  // the end, or ECONNRESET
  }
  CHECK(ended);
  ::close(fd);
}
