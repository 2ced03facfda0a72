// The operator's HTTP surface of the real server, over real sockets: /health, /ready (and its 503s), /metrics
// that move with the chat and parse as exposition text, and the attacks an open port draws, each test named
// after the one it guards against.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/busy_hashing.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/tmpfs_mount.hpp"

using chat::test::expect_ok;
using chat::test::http_get;
using chat::test::HttpAnswer;
using chat::test::HttpConnection;
using chat::test::ServerProcess;
using chat::test::TestClient;
using chat::test::TmpfsMount;
using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A server with the HTTP surface on a free port; `http` is merged over that.
Json with_http(Json http = Json::object(), Json rest = Json::object()) {
  Json section{{"enabled", true}, {"port", 0}};
  section.merge_patch(http);
  rest["http"] = section;
  return rest;
}

constexpr const char* kPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// The headers every answer carries, a page or a figure.
void check_page_security_headers(const HttpAnswer& answer) {
  CHECK(answer.header("x-content-type-options") == "nosniff");
  CHECK(answer.header("referrer-policy") == "no-referrer");
  CHECK(answer.header("x-frame-options") == "DENY");
  CHECK(answer.header("content-security-policy") == kPolicy);
}

// And the answers that are figures are never kept in a cache.
void check_security_headers(const HttpAnswer& answer) {
  check_page_security_headers(answer);
  CHECK(answer.header("cache-control") == "no-store");
}

// The samples of an exposition page, by their full name with labels ("chat_disconnects_total{reason=...}").
// Checks the format as it goes: every sample's family has a TYPE line before it, names are valid, values parse.
std::map<std::string, double> parse_exposition(const std::string& text) {
  static const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$)");
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name >> rest;
      CHECK(std::regex_match(name, name_re));
      if (line.starts_with("# TYPE ")) {
        CHECK(std::set<std::string>{"counter", "gauge", "summary", "histogram", "untyped"}.contains(rest));
        CHECK_FALSE(types.contains(name));  // one TYPE per family
        types[name] = rest;
      }
      continue;
    }
    std::smatch match;
    REQUIRE(std::regex_match(line, match, sample_re));
    auto family = match[1].str();
    if (!types.contains(family)) {
      for (const auto* suffix : {"_sum", "_count", "_bucket"}) {
        if (family.ends_with(suffix) && types.contains(family.substr(0, family.size() - std::strlen(suffix)))) {
          family = family.substr(0, family.size() - std::strlen(suffix));
        }
      }
    }
    CHECK_MESSAGE(types.contains(family), "a sample without a TYPE line for its family");
    const auto value = match[3].str();
    double number = 0;
    if (value == "+Inf" || value == "-Inf" || value == "NaN") {
      number = value == "NaN" ? std::nan("") : (value == "+Inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
    } else {
      std::size_t used = 0;
      number = std::stod(value, &used);
      CHECK(used == value.size());
    }
    samples[match[1].str() + match[2].str()] = number;
  }
  return samples;
}

std::map<std::string, double> scrape(std::uint16_t port) {
  const auto answer = http_get(port, "/metrics");
  REQUIRE(answer.status == 200);
  CHECK(answer.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  return parse_exposition(answer.body);
}

// A scrape after the server snapshot of the last one has aged out (OperatorEndpoints::kSnapshotMaxAge, 1 s).
std::map<std::string, double> fresh_scrape(std::uint16_t port) {
  std::this_thread::sleep_for(1100ms);
  return scrape(port);
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

TEST_CASE("off unless enabled: no HTTP listener by default") {
  ServerProcess server;
  CHECK_THROWS(server.http_port());
}

TEST_CASE("a taken HTTP port stops start-up, naming the address, before the database is opened") {
  ServerProcess first(with_http());
  const auto taken = first.http_port();
  try {
    ServerProcess second(with_http({{"port", taken}}));
    FAIL("the second server started on a taken HTTP port");
  } catch (const std::runtime_error& e) {
    const std::string log = e.what();
    INFO(log);
    CHECK(log.find("cannot listen on 127.0.0.1:" + std::to_string(taken) + " (http): Address already in use") !=
          std::string::npos);
    CHECK(log.find("storage: opened") == std::string::npos);
  }
}

TEST_CASE("GET /health is 200 with a JSON body and every security header") {
  ServerProcess server(with_http());
  const auto answer = http_get(server.http_port(), "/health");
  CHECK(answer.status == 200);
  CHECK(Json::parse(answer.body) == Json({{"status", "ok"}}));
  CHECK(answer.header("content-type") == "application/json");
  check_security_headers(answer);
}

TEST_CASE("GET /ready is 200 while the server serves, 503 shutting_down while it drains") {
  // Slow password hashes on the one hash worker keep the shutdown draining for a few seconds.
  ServerProcess server(with_http(Json::object(),
                                 {{"auth", chat::test::slow_password_hashes()}}));
  const auto port = server.http_port();
  auto ready = http_get(port, "/ready");
  CHECK(ready.status == 200);
  CHECK(Json::parse(ready.body)["status"] == "ready");
  check_security_headers(ready);

  const auto registering = chat::test::keep_hashing(server.port());
  server.send_signal(SIGTERM);
  std::optional<HttpAnswer> refused;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!refused && std::chrono::steady_clock::now() < deadline) {
    try {
      auto answer = http_get(port, "/ready");
      if (answer.status == 503) refused = answer;
    } catch (const std::exception&) {
      break;  // the listener is gone: the server stopped before a 503 was seen
    }
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE_MESSAGE(refused, "no 503 from /ready during the shutdown");
  const auto body = Json::parse(refused->body);
  CHECK(body["status"] == "not_ready");
  CHECK(body["reason"] == "shutting_down");
  check_security_headers(*refused);
  // /health still answers: the process runs.
  CHECK(http_get(port, "/health").status == 200);
  CHECK(server.wait_exit(20s) == 0);
}

TEST_CASE("GET /ready is 503 storage_failing while writes fail on a full disk, and 200 once they work again") {
  TmpfsMount volume(3 * 1024 * 1024);
  if (!volume.mounted()) {
    MESSAGE("skipped: " << volume.error());
    return;
  }
  const auto filler = volume.path() / "filler";
  std::ofstream(filler) << std::string(1024 * 1024, 'f');
  ServerProcess server(with_http(Json::object(), {{"limits", {{"rate_per_sec", 0}}},
                                                  {"storage", {{"path", (volume.path() / "chat.db").string()}}}}));
  const auto port = server.http_port();
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  CHECK(http_get(port, "/ready").status == 200);
  CHECK(scrape(port)["chat_storage_failing"] == 0);

  const std::string text(2000, 'x');
  bool full = false;
  for (int i = 0; i < 5000 && !full; ++i) {
    full = alice.request("send", {{"room", "general"}, {"text", text}}).value("type", "") == "error";
  }
  REQUIRE_MESSAGE(full, "the volume never filled up");
  const auto answer = http_get(port, "/ready");
  CHECK(answer.status == 503);
  const auto body = Json::parse(answer.body);
  CHECK(body["reason"] == "storage_failing");
  CHECK(body["detail"].get<std::string>().find("database or disk is full") != std::string::npos);
  CHECK(fresh_scrape(port)["chat_storage_failing"] == 1);

  fs::remove(filler);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (http_get(port, "/ready").status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(http_get(port, "/ready").status == 200);
  CHECK(fresh_scrape(port)["chat_storage_recoveries_total"] == 1);
}

TEST_CASE("GET /metrics: valid exposition text whose counters move with the chat, the same figures as stats") {
  ServerProcess server(with_http());
  server.add_admin("admin");
  const auto port = server.http_port();
  TestClient admin(server.port());
  expect_ok(admin.login("admin"));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));

  auto before = scrape(port);
  for (const auto* name :
       {"chat_connections{transport=\"tcp\"}", "chat_connections{transport=\"ws\"}", "chat_users_online", "chat_rooms",
       "chat_messages_stored_total", "chat_pool_threads",
        "chat_pool_queued", "chat_pool_rejected_total", "chat_bus_backlog", "chat_requests_expired_total",
        "chat_wal_pages", "chat_pool_queue_wait_seconds_count", "chat_storage_failing",
        "chat_checkpoints_total{thread=\"background\"}", "chat_disconnects_total{reason=\"client_closed\"}",
        "chat_http_connections", "chat_http_connections_refused_total"}) {
    CHECK_MESSAGE(before.contains(name), name);
  }
  CHECK(before["chat_connections{transport=\"tcp\"}"] == 2);
  CHECK(before["chat_connections{transport=\"ws\"}"] == 0);
  CHECK(before["chat_pool_queue_wait_seconds_bucket{le=\"+Inf\"}"] == before["chat_pool_queue_wait_seconds_count"]);
  CHECK(before["chat_logins_total{kind=\"account\"}"] == 1);       // admin
  CHECK(before["chat_logins_total{kind=\"registration\"}"] == 1);  // alice
  CHECK(before["chat_logins_total{kind=\"guest\"}"] == 0);

  expect_ok(alice.request("send", {{"room", "general"}, {"text", "hello"}}));
  auto after = scrape(port);
  // A scrape within a second of the last shares its server snapshot (OperatorEndpoints::kSnapshotMaxAge),
  // and the committer counts a batch a moment after it acknowledged its sends.
  for (int i = 0; i < 250 && (after["chat_messages_stored_total"] == before["chat_messages_stored_total"] ||
                              after["chat_messages_committed_total"] == before["chat_messages_committed_total"]);
       ++i) {
    std::this_thread::sleep_for(20ms);
    after = scrape(port);
  }
  CHECK(after["chat_messages_stored_total"] == before["chat_messages_stored_total"] + 1);
  CHECK(after["chat_messages_committed_total"] == before["chat_messages_committed_total"] + 1);
  CHECK(after["chat_pool_submitted_total"] > before["chat_pool_submitted_total"]);
  // The one message went through one group commit and was broadcast once.
  CHECK(after["chat_delivery_seconds_count"] == before["chat_delivery_seconds_count"] + 1);
  CHECK(after["chat_delivery_seconds_sum"] > before["chat_delivery_seconds_sum"]);
  CHECK(after["chat_commit_batch_size_count"] == before["chat_commit_batch_size_count"] + 1);
  CHECK(after["chat_commit_batch_size_bucket{le=\"1\"}"] == before["chat_commit_batch_size_bucket{le=\"1\"}"] + 1);
  CHECK(after["chat_commit_seconds_count"] == before["chat_commit_seconds_count"] + 1);
  // Every histogram is cumulative, and its +Inf bucket is its count.
  for (const auto* histogram : {"chat_delivery_seconds", "chat_commit_seconds", "chat_commit_batch_size",
                                "chat_pool_queue_wait_seconds", "chat_pool_run_seconds"}) {
    INFO(histogram);
    const std::string prefix = std::string(histogram) + "_bucket{le=\"";
    std::vector<std::pair<double, double>> buckets;  // le, count
    for (const auto& [name, value] : after) {
      if (name.rfind(prefix, 0) != 0) continue;
      const auto le = name.substr(prefix.size(), name.size() - prefix.size() - 2);
      buckets.emplace_back(le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le), value);
    }
    std::sort(buckets.begin(), buckets.end());
    CHECK(buckets.size() >= 12);
    for (std::size_t i = 1; i < buckets.size(); ++i) CHECK(buckets[i].second >= buckets[i - 1].second);
    CHECK(after[std::string(histogram) + "_bucket{le=\"+Inf\"}"] == after[std::string(histogram) + "_count"]);
  }

  // The stats op reads the same snapshot.
  const auto stats = expect_ok(admin.request("stats"));
  CHECK(stats["messages_stored"].get<double>() == after["chat_messages_stored_total"]);
  CHECK(stats["disconnects"]["client_closed"].get<double>() == after["chat_disconnects_total{reason=\"client_closed\"}"]);

  { TestClient leaving(server.port()); }
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (scrape(port)["chat_disconnects_total{reason=\"client_closed\"}"] ==
             after["chat_disconnects_total{reason=\"client_closed\"}"] &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(scrape(port)["chat_disconnects_total{reason=\"client_closed\"}"] ==
        after["chat_disconnects_total{reason=\"client_closed\"}"] + 1);
}

TEST_CASE("chat_direct_messages_waiting counts the direct messages an offline account has not received yet") {
  ServerProcess server(with_http());
  const auto port = server.http_port();
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
  }
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  CHECK(fresh_scrape(port)["chat_direct_messages_waiting"] == 0);
  for (int i = 0; i < 3; ++i) expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "while you were out"}}));
  CHECK(fresh_scrape(port)["chat_direct_messages_waiting"] == 3);

  TestClient bob(server.port());
  const auto login = expect_ok(bob.login("bob"));
  CHECK(login["pending_dms"] == 3);
  // Delivered after the log-in's reply: the gauge falls once bob's connection took them.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fresh_scrape(port)["chat_direct_messages_waiting"] != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(fresh_scrape(port)["chat_direct_messages_waiting"] == 0);
  CHECK(fresh_scrape(port)["chat_logins_total{kind=\"account\"}"] == 1);
}

TEST_CASE("http.metrics_allow: other peers get 403 for /metrics, and still /health") {
  ServerProcess server(with_http({{"metrics_allow", {"127.0.0.2"}}}));
  const auto port = server.http_port();
  const auto refused = http_get(port, "/metrics", "127.0.0.1");
  CHECK(refused.status == 403);
  CHECK(Json::parse(refused.body)["error"] == "forbidden");
  check_security_headers(refused);
  CHECK(http_get(port, "/health", "127.0.0.1").status == 200);
  CHECK(http_get(port, "/metrics", "127.0.0.2").status == 200);
}

TEST_CASE("DnsRebinding: /metrics and /ready asked with another site's name get 421; loopback names get them") {
  ServerProcess server(with_http());
  const auto port = server.http_port();
  const auto ask = [port](std::string_view path, std::string_view host) {
    HttpConnection connection(port);
    connection.send_raw("GET " + std::string(path) + " HTTP/1.1\r\nHost: " + std::string(host) +
                        "\r\nConnection: close\r\n\r\n");
    auto answer = connection.read_answer();
    REQUIRE(answer);
    return *answer;
  };
  for (const auto* path : {"/metrics", "/ready"}) {
    CAPTURE(path);
    const auto refused = ask(path, "rebind.example:" + std::to_string(port));
    CHECK(refused.status == 421);
    CHECK(Json::parse(refused.body)["error"] == "misdirected");
    check_security_headers(refused);
    CHECK(ask(path, "localhost:" + std::to_string(port)).status == 200);
    CHECK(ask(path, "127.0.0.1:" + std::to_string(port)).status == 200);
  }
  // The liveness probe and the browser client's files carry nothing of the server's state.
  CHECK(ask("/health", "rebind.example").status == 200);
}

TEST_CASE("keep-alive: requests share a connection up to http.max_requests_per_connection, then it closes") {
  ServerProcess server(with_http({{"max_requests_per_connection", 3}}));
  HttpConnection connection(server.http_port());
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(connection.get("/health"));
    const auto answer = connection.read_answer();
    REQUIRE(answer);
    CHECK(answer->status == 200);
    CHECK((answer->header("connection") == "close") == (i == 3));
  }
  CHECK(connection.wait_closed(2s));
}

TEST_CASE("PathTraversal: /../etc/passwd and its spellings are unknown paths, 404 with a JSON body") {
  ServerProcess server(with_http());
  const auto port = server.http_port();
  for (const auto* path : {"/../etc/passwd", "/%2e%2e/etc/passwd", "/health/../metrics", "//health", "/nope"}) {
    INFO(path);
    const auto answer = http_get(port, path);
    CHECK(answer.status == 404);
    CHECK(Json::parse(answer.body)["error"] == "not_found");
    CHECK(answer.body.find("root:") == std::string::npos);
    check_security_headers(answer);
  }
}

TEST_CASE("PostBody: a method other than GET is 405 with Allow, a GET with a body 400, each then closed") {
  ServerProcess server(with_http());
  const auto port = server.http_port();
  for (const auto* method : {"POST", "PUT", "DELETE"}) {
    INFO(method);
    HttpConnection connection(port);
    connection.send_raw(std::string(method) + " /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    const auto answer = connection.read_answer();
    REQUIRE(answer);
    CHECK(answer->status == 405);
    CHECK(answer->header("allow") == "GET, HEAD");
    check_security_headers(*answer);
    CHECK(connection.wait_closed(2s));
  }
  HttpConnection with_body(port);
  with_body.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody");
  const auto answer = with_body.read_answer();
  REQUIRE(answer);
  CHECK(answer->status == 400);
  CHECK(with_body.wait_closed(2s));
  CHECK(scrape(port)["chat_http_bad_requests_total"] == 4);
}

TEST_CASE("MalformedRequest: a request line that is not HTTP gets 400 and a close; HEAD answers without a body") {
  ServerProcess server(with_http());
  const auto port = server.http_port();
  for (const auto* garbage : {"GET /health HTTX/1.1\r\n\r\n", "GET\r\n\r\n", "\x16\x03\x01\x02\x00\x01\r\n\r\n"}) {
    HttpConnection connection(port);
    connection.send_raw(garbage);
    const auto answer = connection.read_answer();
    REQUIRE(answer);
    CHECK(answer->status == 400);
    check_security_headers(*answer);
    CHECK(connection.wait_closed(2s));
  }
  HttpConnection head(port);
  head.send_raw("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  REQUIRE(head.wait_closed(2s));
  // The header only, its Content-Length saying what a GET would carry.
  const auto& raw = head.unread();
  CHECK(raw.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(raw.find("Content-Length: 15\r\n") != std::string::npos);
  CHECK(raw.ends_with("\r\n\r\n"));
}

TEST_CASE("HeaderFlood: headers past http.max_header_bytes get 431 or a close, and memory stays bounded") {
  ServerProcess server(with_http({{"max_header_bytes", 8192}, {"max_connections", 64}}));
  const auto port = server.http_port();
  {
    HttpConnection connection(port);
    std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
    while (request.size() < 64 * 1024) request += "X-Flood: " + std::string(100, 'a') + "\r\n";
    connection.send_raw(request + "\r\n");
    if (const auto answer = connection.read_answer()) {
      CHECK(answer->status == 431);
      check_security_headers(*answer);
    }
    CHECK(connection.wait_closed(5s));
  }
  // Many connections each sending a megabyte of header: the server holds no more than its limit for each.
  const auto rss_before = rss_kib(server.pid());
  std::vector<std::thread> floods;
  for (int i = 0; i < 16; ++i) {
    floods.emplace_back([port] {
      HttpConnection connection(port);
      const std::string line = "X-Flood: " + std::string(1000, 'b') + "\r\n";
      connection.send_raw("GET /health HTTP/1.1\r\n");
      for (int j = 0; j < 1000 && connection.send_raw(line); ++j) {
      }
      connection.wait_closed(5s);
    });
  }
  for (auto& flood : floods) flood.join();
  const auto rss_after = rss_kib(server.pid());
  INFO("RSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after - rss_before < 16 * 1024);
  // A header line with no end at all is cut the same way.
  {
    HttpConnection connection(port);
    connection.send_raw("GET /" + std::string(20000, 'a'));
    if (const auto answer = connection.read_answer()) CHECK(answer->status == 431);
    CHECK(connection.wait_closed(5s));
  }
  CHECK(http_get(port, "/health").status == 200);
}

TEST_CASE("SlowlorisHeaders: a request trickled byte by byte is cut at http.request_timeout_ms, so is an idle peer") {
  ServerProcess server(with_http({{"request_timeout_ms", 500}}));
  const auto port = server.http_port();
  const auto start = std::chrono::steady_clock::now();
  HttpConnection slow(port);
  HttpConnection idle(port);
  slow.send_raw("GET /health HTTP/1.1\r\n");
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {  // a byte every 100 ms: 10 s if nobody stopped it
    cut = !slow.send_raw("X") || slow.wait_closed(100ms);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(cut);
  CHECK(elapsed >= 400ms);
  CHECK(elapsed < 5s);  // the deadline, with room for a loaded machine; trickling alone never ends it
  CHECK(idle.wait_closed(2s));
  CHECK(scrape(port)["chat_http_timeouts_total"] >= 2);
  CHECK(http_get(port, "/health").status == 200);
}

TEST_CASE("ConnectionFlood: past http.max_connections a connection gets 503 and is closed, and is counted") {
  ServerProcess server(with_http({{"max_connections", 4}, {"request_timeout_ms", 30000}}));
  const auto port = server.http_port();
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 4; ++i) held.push_back(std::make_unique<HttpConnection>(port));
  std::this_thread::sleep_for(200ms);  // all four accepted
  for (int i = 0; i < 3; ++i) {
    HttpConnection refused(port);
    const auto answer = refused.read_answer();
    REQUIRE(answer);
    CHECK(answer->status == 503);
    CHECK(Json::parse(answer->body)["error"] == "too_many_connections");
    CHECK(Json::parse(answer->body)["detail"] == "http.max_connections");
    check_security_headers(*answer);
    CHECK(refused.wait_closed(2s));
  }
  // The held ones are still served; once one goes, a newcomer is.
  REQUIRE(held[0]->get("/metrics"));
  const auto metrics = held[0]->read_answer();
  REQUIRE(metrics);
  const auto samples = parse_exposition(metrics->body);
  CHECK(samples.at("chat_http_connections_refused_total") == 3);
  CHECK(samples.at("chat_http_connections") == 4);
  held.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = http_get(port, "/health").status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  CHECK(status == 200);
}

TEST_CASE("HttpSlotExhaustion: one address holding idle connections is refused past http.max_connections_per_ip, "
          "and does not keep another address from /health") {
  ServerProcess server(with_http({{"request_timeout_ms", 30000}}));
  const auto port = server.http_port();
  std::vector<std::unique_ptr<HttpConnection>> idle;
  for (int i = 0; i < 16; ++i) idle.push_back(std::make_unique<HttpConnection>(port, "127.0.0.1"));
  std::this_thread::sleep_for(200ms);  // all sixteen accepted
  HttpConnection refused(port, "127.0.0.1");
  const auto answer = refused.read_answer();
  REQUIRE(answer);
  CHECK(answer->status == 503);
  CHECK(Json::parse(answer->body) == Json{{"error", "too_many_connections"}, {"detail", "http.max_connections_per_ip"}});
  check_security_headers(*answer);
  CHECK(refused.wait_closed(2s));
  // Another address gets in, though 16 of the 64 slots are taken, and sees the refusal counted.
  const auto health = http_get(port, "/health", "127.0.0.2");
  CHECK(health.status == 200);
  HttpConnection other(port, "127.0.0.2");
  REQUIRE(other.get("/metrics", /*close=*/true));
  const auto metrics = other.read_answer();
  REQUIRE(metrics);
  const auto samples = parse_exposition(metrics->body);
  CHECK(samples.at("chat_http_connections_refused_total") == 1);
  CHECK(samples.at("chat_http_connections") == 17);
  CHECK(server.log().find("http.max_connections_per_ip (16) reached") != std::string::npos);
  // Once one of them goes, the address has a place again.
  idle.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    status = http_get(port, "/health", "127.0.0.1").status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  CHECK(status == 200);
}

TEST_CASE("the browser client: / is its page and its modules are JavaScript, each with every security header") {
  const std::string web_root = std::string(CHAT_SOURCE_DIR) + "/client/web";
  ServerProcess server(with_http({{"web_root", web_root}}));
  const auto port = server.http_port();
  const auto page = http_get(port, "/");
  CHECK(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.body.find("<script type=\"module\" src=\"js/main.js\"></script>") != std::string::npos);
  CHECK(page.header("cache-control") == "no-cache");
  CHECK(page.header("etag").size() > 2);
  check_page_security_headers(page);
  // No inline script or style: the policy would block it, so none may be there to need it.
  CHECK(page.body.find("<style") == std::string::npos);
  CHECK(page.body.find(" style=") == std::string::npos);

  const auto module = http_get(port, "/js/main.js");
  CHECK(module.status == 200);
  CHECK(module.header("content-type") == "text/javascript; charset=utf-8");
  check_page_security_headers(module);
  const auto style = http_get(port, "/style.css");
  CHECK(style.status == 200);
  CHECK(style.header("content-type") == "text/css; charset=utf-8");

  // Revalidation: the same ETag back is a 304 without a body.
  HttpConnection connection(port);
  REQUIRE(connection.send_raw("GET /js/main.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + module.header("etag") +
                              "\r\nConnection: close\r\n\r\n"));
  const auto revalidated = connection.read_answer();
  REQUIRE(revalidated);
  CHECK(revalidated->status == 304);
  CHECK(revalidated->body.empty());
  check_page_security_headers(*revalidated);

  // Unknown paths keep the operator's JSON 404, and the operator endpoints are still there.
  const auto missing = http_get(port, "/js/nope.js");
  CHECK(missing.status == 404);
  CHECK(missing.header("content-type") == "application/json");
  check_security_headers(missing);
  CHECK(http_get(port, "/health").status == 200);
}

TEST_CASE("http.web_root: auto serves the build tree's copy; \"\" serves no client; a missing folder stops start-up") {
  {
    ServerProcess server(with_http());  // web_root "auto": <build>/web, copied there with the server
    CHECK(http_get(server.http_port(), "/").status == 200);
  }
  {
    ServerProcess server(with_http({{"web_root", ""}}));
    const auto answer = http_get(server.http_port(), "/");
    CHECK(answer.status == 404);
    CHECK(answer.header("content-type") == "application/json");
  }
  try {
    ServerProcess server(with_http({{"web_root", "/nonexistent/web"}}));
    FAIL("the server started with a web root that does not exist");
  } catch (const std::runtime_error& e) {
    const std::string log = e.what();
    INFO(log);
    CHECK(log.find("http.web_root: '/nonexistent/web' is not a directory") != std::string::npos);
  }
}
