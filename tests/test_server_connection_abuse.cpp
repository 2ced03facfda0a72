// What one connection can do to the server, tried against the real process: its memory stays bounded
// whatever it sends, it cannot hold a slot without finishing requests or logging in, and every request it
// sends gets exactly one reply that names it, however the connection ends.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "loadtest/server_probe.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/test_sync.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

#ifdef CHAT_SANITIZED_MEMORY
// A sanitizer's quarantine keeps freed memory resident on purpose: what these tests measure is then
// the sanitizer. The behaviour around the measurement is still checked.
constexpr bool kRssMeansMemoryHeld = false;
#else
constexpr bool kRssMeansMemoryHeld = true;
#endif

std::uint64_t rss_kib(pid_t pid) {
  const auto sample = chat::loadtest::ServerProbe(pid).sample();
  REQUIRE(sample.has_value());
  return sample->rss_kb;
}

// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

// Pings with ids 1..count, as one block of bytes.
std::string pings(int count) {
  std::string block;
  for (int id = 1; id <= count; ++id) block += R"({"op":"ping","id":)" + std::to_string(id) + "}\n";
  return block;
}

// The integer ids of the replies among `lines`, in arrival order.
std::vector<std::int64_t> reply_ids(const std::deque<Json>& lines) {
  std::vector<std::int64_t> ids;
  for (const auto& line : lines) {
    if (line.contains("id") && line["id"].is_number_integer()) ids.push_back(line["id"].get<std::int64_t>());
  }
  return ids;
}

// Checks that the ids are exactly 1..n (each request answered once, none skipped), returns n. Replies may come
// in another order than their requests: a refusal goes out at once, a ping waits for a worker.
std::size_t check_contiguous(std::vector<std::int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != static_cast<std::int64_t>(i + 1)) {
      FAIL_CHECK("reply " << i << " has id " << ids[i] << ", expected " << i + 1);
      break;
    }
  }
  return ids.size();
}

}  // namespace

TEST_CASE("NewlineFlood: 50 MiB of empty lines in one stream leave the server's memory where it was") {
  ServerProcess server;
  TestClient flood(server.port());
  expect_ok(flood.guest("flood"));
  const auto before = rss_kib(server.pid());
  const std::string chunk(1 << 20, '\n');
  for (int i = 0; i < 50; ++i) flood.send_raw(chunk);
  // Everything before the ping has been read once the pong comes.
  CHECK(flood.request("ping")["type"] == "pong");
  const auto growth = static_cast<std::int64_t>(rss_kib(server.pid())) - static_cast<std::int64_t>(before);
  INFO("RSS growth: " << growth << " KiB");
  // One frame (64 KiB) plus one read buffer, and the allocator's slack: far below the 50 MiB sent.
  if (kRssMeansMemoryHeld) CHECK(growth < 2 * 1024);
}

TEST_CASE("PayloadLimitBypass: lines that pile up behind a paused reader are not read ahead") {
  // While a log-in is hashed the reader waits; a stream of requests meanwhile stays in the kernel's
  // buffers, not the server's.
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient client(server.port());
  const auto before = rss_kib(server.pid());
  std::string block = R"({"op":"register","name":"pauser","password":"password123","id":"r"})" "\n";
  const std::string pad(60000, 'p');
  for (int i = 0; i < 400; ++i) block += R"({"op":"ping","pad":")" + pad + "\"}\n";  // 24 MB
  std::thread writer([&] { client.send_raw(block); });
  std::size_t pongs = 0;
  while (pongs < 400) {
    auto line = client.next(30s);
    REQUIRE(line.has_value());
    if ((*line)["type"] == "pong") ++pongs;
  }
  writer.join();
  const auto growth = static_cast<std::int64_t>(rss_kib(server.pid())) - static_cast<std::int64_t>(before);
  INFO("RSS growth: " << growth << " KiB");
  if (kRssMeansMemoryHeld) CHECK(growth < 4 * 1024);
}

TEST_CASE("NulSmuggling: bytes after a NUL make the whole line bad_request") {
  ServerProcess server;
  TestClient client(server.port());
  constexpr char kSmuggled[] = "{\"op\":\"ping\",\"id\":\"x\"}\0{\"op\":\"nope\"}\n";
  const std::string smuggled(kSmuggled, sizeof kSmuggled - 1);
  client.send_raw(smuggled);
  auto reply = client.next(5s);
  REQUIRE(reply.has_value());
  CHECK((*reply)["type"] == "error");
  CHECK((*reply)["code"] == "bad_request");
  CHECK(client.request("ping")["type"] == "pong");
}

TEST_CASE("Slowloris: request lines trickled a byte at a time are cut at the line deadline") {
  ServerProcess server(Json({{"server", {{"line_timeout_sec", 1}, {"login_timeout_sec", 60}}}}));
  constexpr int kTricklers = 50;
  std::vector<std::unique_ptr<TestClient>> tricklers;
  for (int i = 0; i < kTricklers; ++i) tricklers.push_back(std::make_unique<TestClient>(server.port()));
  const std::string line = R"({"op":"ping","pad":")" + std::string(100, 'x');
  std::size_t cut = 0;
  // A byte every 100 ms from each: every byte is progress, but no line ever ends.
  for (std::size_t at = 0; at < line.size() && cut < tricklers.size(); ++at) {
    cut = 0;
    for (auto& trickler : tricklers) {
      try {
        trickler->send_raw(line.substr(at, 1));
      } catch (const std::exception&) {
      }
      if (trickler->wait_closed(0ms)) ++cut;
    }
    std::this_thread::sleep_for(100ms);
  }
  for (auto& trickler : tricklers) CHECK(trickler->wait_closed(5s));
  TestClient bystander(server.port());
  CHECK(bystander.request("ping")["type"] == "pong");
  // Each is logged once its connection is gone, which may come a moment after the client saw the close.
  CHECK(chat::test::eventually([&] { return occurrences(server.log(), "disconnected: line_timeout") >= kTricklers; }));
  CHECK(occurrences(server.log(), "disconnected: line_timeout") == kTricklers);
}

TEST_CASE("LoginStall: a connection that never logs in is cut at the log-in deadline, pings or not") {
  ServerProcess server(Json({{"server", {{"login_timeout_sec", 1}}}}));
  TestClient stalling(server.port());
  TestClient member(server.port());
  expect_ok(member.guest("member"));
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    try {
      stalling.send(Json{{"op", "ping"}});
    } catch (const std::exception&) {
    }
    cut = stalling.wait_closed(100ms);
  }
  CHECK(cut);
  // The logged-in connection stays.
  CHECK(member.request("ping")["type"] == "pong");
  // Logged once the connection is gone, which may come a moment after the client saw the close.
  CHECK(chat::test::eventually([&] { return server.log().find("disconnected: login_timeout") != std::string::npos; }));

  // A log-out starts the deadline again.
  expect_ok(member.request("logout"));
  CHECK(member.wait_closed(5s));
}

TEST_CASE("EmptyLineKeepalive: empty lines do not keep an idle connection open") {
  ServerProcess server(Json({{"server", {{"idle_timeout_sec", 1}}}}));
  TestClient idler(server.port());
  expect_ok(idler.guest("idler"));
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    try {
      idler.send_raw("\n");
    } catch (const std::exception&) {
    }
    cut = idler.wait_closed(100ms);
  }
  CHECK(cut);
  CHECK(chat::test::eventually([&] { return server.log().find("disconnected: idle_timeout") != std::string::npos; }));
}

TEST_CASE("AnonymousRefusal: 1,000 pipelined pings each get one reply carrying their id") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 50}, {"rate_burst", 50}, {"rate_abuse_strikes", 100000}}}}));
  TestClient client(server.port());
  client.send_raw(pings(1000));
  std::deque<Json> lines;
  while (lines.size() < 1000) {
    auto line = client.next(10s);
    REQUIRE(line.has_value());
    lines.push_back(std::move(*line));
  }
  CHECK(check_contiguous(reply_ids(lines)) == 1000);
  std::size_t limited = 0;
  for (const auto& line : lines) {
    if (line.value("code", "") == "rate_limited") {
      ++limited;
      CHECK(line["op"] == "ping");
    }
  }
  CHECK(limited > 0);
}

TEST_CASE("RateAbuseClose: requests admitted before an abuse close all get their replies, then an orderly close") {
  for (int trial = 0; trial < 4; ++trial) {
    INFO("trial " << trial);
    ServerProcess server(Json({{"limits", {{"rate_per_sec", 5}, {"rate_burst", 400}, {"rate_abuse_strikes", 20}}}}));
    TestClient client(server.port());
    client.send_raw(pings(1000));
    CHECK(client.wait_closed(20s));
    CHECK_FALSE(client.was_reset());
    const auto ids = reply_ids(client.events());
    const auto answered = check_contiguous(ids);
    std::size_t pongs = 0;
    for (const auto& line : client.events()) pongs += line.value("type", "") == "pong";
    CHECK(pongs >= 400);
    REQUIRE_FALSE(client.events().empty());
    const auto& last = client.events().back();
    CHECK(last["code"] == "rate_limited");
    CHECK(last["message"].get<std::string>().find("closing") != std::string::npos);
    // The closing refusal names the last request read.
    CHECK(last["id"] == static_cast<std::int64_t>(answered));
  }
}

TEST_CASE("HalfClose: requests sent before the client shuts its side are all answered") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "general"}}));
  for (int trial = 0; trial < 10; ++trial) {
    INFO("trial " << trial);
    TestClient client(server.port());
    expect_ok(client.login("owner"));
    client.send_raw(R"({"op":"send","room":"general","text":"last words","id":"s"})" "\n"
                    R"({"op":"ping","id":"p"})" "\n");
    REQUIRE(::shutdown(client.fd(), SHUT_WR) == 0);
    CHECK(client.wait_closed(10s));
    bool acknowledged = false;
    bool ponged = false;
    for (const auto& line : client.events()) {
      if (line.value("id", Json()) == "s") acknowledged = line["type"] == "ok";
      if (line.value("id", Json()) == "p") ponged = line["type"] == "pong";
    }
    CHECK(acknowledged);
    CHECK(ponged);
  }
}

TEST_CASE("SlowConsumerMemory: a reader that never reads holds about its outbound_queue_bytes, not a multiple") {
  constexpr std::size_t kQueueBytes = 48 * 1024 * 1024;
  ServerProcess server(Json({{"limits", {{"outbound_queue_bytes", kQueueBytes}, {"rate_per_sec", 0}}}}));
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "general"}}));
  // Pipelined sends commit in batches, so members get frames of many messages each.
  const std::string text(1000, 'm');
  const auto say = [&](std::size_t bytes) {
    constexpr int kPipelined = 100;
    for (std::size_t sent = 0; sent < bytes;) {
      for (int i = 0; i < kPipelined; ++i, sent += text.size()) {
        owner.send({{"op", "send"}, {"room", "general"}, {"text", text}});
      }
      for (int acknowledged = 0; acknowledged < kPipelined;) {
        auto line = owner.next(20s);
        REQUIRE(line.has_value());
        if ((*line)["type"] == "ok") ++acknowledged;
        REQUIRE((*line)["type"] != "error");
      }
    }
  };
  // The same traffic once without the sleeper, so that the allocator's caches are warm for both figures.
  // Far more than the kernel's socket buffers hold, so that most of it waits in the server's queue.
  constexpr std::size_t kSaid = 24 * 1024 * 1024;
  say(kSaid);
  const auto before = rss_kib(server.pid());

  TestClient sleeper(server.port());
  int tiny = 4096;
  setsockopt(sleeper.fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  expect_ok(sleeper.register_user("sleeper"));
  expect_ok(sleeper.request("join", {{"room", "general"}}));
  say(kSaid);
  const auto growth = static_cast<std::int64_t>(rss_kib(server.pid())) - static_cast<std::int64_t>(before);
  INFO("RSS growth: " << growth << " KiB for about " << kSaid / 1024 << " KiB of messages queued");
  // A queued frame holds about its text: msg lines add their fields to each message (about 1.1x). A frame
  // that kept the slack of the line that overfilled it held twice that.
  if (kRssMeansMemoryHeld) CHECK(growth < static_cast<std::int64_t>(kSaid * 5 / 4 / 1024));
  CHECK(owner.request("ping")["type"] == "pong");
}

TEST_CASE("LogFlood: a flood of refused connections writes a few warning lines, not one each") {
  ServerProcess server(Json({{"limits", {{"max_connections", 10}, {"max_connections_per_ip", 2}}}}));
  TestClient a(server.port());
  TestClient b(server.port());
  constexpr int kRefused = 300;
  for (int i = 0; i < kRefused; ++i) {
    TestClient refused(server.port(), /*read_hello=*/false);
    auto line = refused.next(5s);
    REQUIRE(line.has_value());
    REQUIRE((*line)["code"] == "overloaded");
  }
  CHECK(a.request("ping")["type"] == "pong");
  const auto warnings = occurrences(server.log(), "refused a connection");
  INFO("refusal warnings logged: " << warnings);
  CHECK(warnings >= 1);
  CHECK(warnings <= 10);
}

TEST_CASE("RefusalFlood: at most 64 refused connections are told why at once, the rest are closed without a word") {
  // A refused connection is told `overloaded` and given a second to read it; no connection limit counts it,
  // so a flood of them must not hold descriptors and buffers without bound (ConnectionRefusal::kMaxInProgress).
  ServerProcess server(Json({{"limits", {{"max_connections", 2}, {"max_connections_per_ip", 2}}}}));
  TestClient a(server.port());
  TestClient b(server.port());
  constexpr int kRefused = 200;
  constexpr int kToldAtMost = 64;
  std::vector<std::unique_ptr<TestClient>> refused;
  const auto start = std::chrono::steady_clock::now();
  // Held open and unread: each refusal the server tells waits its whole grace for the peer.
  for (int i = 0; i < kRefused; ++i) refused.push_back(std::make_unique<TestClient>(server.port(), false));
  const auto opening = std::chrono::steady_clock::now() - start;
  int told = 0;
  int silent = 0;
  for (auto& client : refused) {
    std::optional<Json> line;
    try {
      line = client->next(3s);
    } catch (const std::exception&) {
      // Closed (or reset) by the server with nothing to read.
    }
    if (line) {
      CHECK((*line)["code"] == "overloaded");
      ++told;
    } else {
      ++silent;
    }
  }
  INFO("told " << told << ", closed without a word " << silent << ", opened in "
               << std::chrono::duration_cast<std::chrono::milliseconds>(opening).count() << " ms");
  CHECK(told + silent == kRefused);
  CHECK(told >= 1);
  // Within the grace every told refusal is still in progress: no more than the bound were told.
  if (opening < 800ms) {
    CHECK(told <= kToldAtMost);
    CHECK(silent >= kRefused - kToldAtMost);
  } else {
    MESSAGE("opening the connections took longer than the grace: the bound is not measurable here");
  }
  refused.clear();
  CHECK(a.request("ping")["type"] == "pong");
  // Once the flood is gone, a refused connection is told again.
  TestClient late(server.port(), false);
  const auto line = late.next(5s);
  REQUIRE(line.has_value());
  CHECK((*line)["code"] == "overloaded");
}

TEST_CASE("RoomFlood: creates stop at rooms.max_per_owner per account and at rooms.max_rooms in all, after a restart "
          "too") {
  chat::test::ServerProcess server(
      Json{{"rooms", {{"max_rooms", 6}, {"max_per_owner", 3}, {"guests_can_create", true}}}});
  const auto refusal = [](const Json& reply) {
    CHECK(reply["type"] == "error");
    CHECK(reply["code"] == "forbidden");
    return reply.value("message", "");
  };
  {
    TestClient alice(server.port());
    expect_ok(alice.register_user("alice"));
    for (int i = 0; i < 3; ++i) expect_ok(alice.request("create", {{"room", "a" + std::to_string(i)}}));
    CHECK(refusal(alice.request("create", {{"room", "a3"}})) ==
          "you own 3 rooms, the most an account may own on this server");
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    for (int i = 0; i < 3; ++i) expect_ok(bob.request("create", {{"room", "b" + std::to_string(i)}}));
    TestClient visitor(server.port());
    expect_ok(visitor.guest("visitor"));
    CHECK(refusal(visitor.request("create", {{"room", "g0"}})) ==
          "this server holds its most rooms (6): join one of them, or ask its operator to raise rooms.max_rooms");
    CHECK(expect_ok(visitor.request("rooms"))["rooms"].size() == 6);
  }
  {
    // Guests' rooms count against their address, whatever names they take.
    chat::test::ServerProcess guests_server(
        Json{{"rooms", {{"max_rooms", 100}, {"max_per_owner", 2}, {"guests_can_create", true}}}});
    for (int i = 0; i < 2; ++i) {
      TestClient guest(guests_server.port());
      expect_ok(guest.guest("guest" + std::to_string(i)));
      expect_ok(guest.request("create", {{"room", "g" + std::to_string(i)}}));
    }
    TestClient third(guests_server.port());
    expect_ok(third.guest("guest2"));
    CHECK(refusal(third.request("create", {{"room", "g2"}})) ==
          "guests from your address made 2 rooms, the most they may: register an account to create more");
  }
  server.restart();  // the counts come back from the database
  TestClient alice(server.port());
  expect_ok(alice.login("alice"));
  CHECK(refusal(alice.request("create", {{"room", "a3"}})) ==
        "you own 3 rooms, the most an account may own on this server");
}
