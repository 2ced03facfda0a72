// Work that can no longer help anyone is not done: a request that waited in the
// queue past limits.request_deadline_ms is answered `overloaded` instead of
// run late, and the queued requests of a connection that has gone are not run.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// One worker, no rate limit: a pipelined flood queues up behind it.
Json one_worker(std::uint32_t deadline_ms) {
  return {{"pool", {{"min_threads", 1}, {"max_threads", 1}}},
          {"limits", {{"rate_per_sec", 0}, {"request_deadline_ms", deadline_ms}}}};
}

// A password hash of about a second: while it runs, the one worker does nothing else.
Json slow_hash() { return {{"hash_ops_limit", 3}, {"hash_mem_limit_kib", 256 * 1024}}; }

std::string rooms_requests(int count) {
  std::string lines;
  for (int id = 1; id <= count; ++id) lines += R"({"op":"rooms","id":)" + std::to_string(id) + "}\n";
  return lines;
}

// With a deadline of a few milliseconds even a lone request may expire on a loaded machine: asked again
// until it runs.
Json until_run(const std::function<Json()>& request) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto reply = request();
    if (reply["type"] != "error" || reply["code"] != "overloaded") return expect_ok(reply);
    std::this_thread::sleep_for(20ms);
  }
  FAIL("a request expired 50 times in a row on an idle server");
  return {};
}

Json stats_of(TestClient& admin) {
  return until_run([&] { return admin.request("stats"); });
}

}  // namespace

TEST_CASE("queue flood: requests that waited past the deadline are answered overloaded once, not run late") {
  // The one worker hashes a slow password; the flood queues up behind it and waits far past the deadline.
  Json config = one_worker(100);
  config["auth"] = slow_hash();
  ServerProcess server(config);
  server.add_admin("root");
  TestClient admin(server.port());
  until_run([&] { return admin.login("root"); });
  TestClient flooder(server.port());
  until_run([&] { return flooder.guest("flooder"); });
  TestClient hasher(server.port());
  hasher.send({{"op", "register"}, {"id", 1}, {"name", "slowhash"}, {"password", "password123"}});
  std::this_thread::sleep_for(50ms);  // the worker is hashing

  constexpr int kRequests = 3000;
  flooder.send_raw(rooms_requests(kRequests));
  std::set<std::int64_t> answered;
  int expired = 0;
  for (int i = 0; i < kRequests; ++i) {
    const auto reply = flooder.next(60s);
    REQUIRE(reply.has_value());
    REQUIRE((*reply)["op"] == "rooms");
    CHECK(answered.insert((*reply)["id"].get<std::int64_t>()).second);  // exactly one reply per request
    if ((*reply)["type"] == "error") {
      CHECK((*reply)["code"] == "overloaded");
      CHECK((*reply)["message"].get<std::string>().find("waited") != std::string::npos);
      ++expired;
    } else {
      CHECK((*reply)["type"] == "ok");
    }
  }
  CHECK(answered.size() == static_cast<std::size_t>(kRequests));
  // Those read while the hash ran waited longer than 100 ms.
  CHECK(expired > 0);
  CHECK_FALSE(flooder.next(200ms).has_value());
  const auto registered = hasher.next(60s);
  REQUIRE(registered.has_value());
  expect_ok(*registered);  // the request that ran first was not cut short

  const auto stats = stats_of(admin);
  CHECK(stats["requests"]["expired"].get<int>() >= expired);  // the admin's own retries may add some
  CHECK(stats["requests"]["cancelled"] == 0);
  CHECK(stats.contains("bus"));
  CHECK(stats["commits"].contains("refused_schedules"));
  // The connection and the server still serve.
  until_run([&] { return flooder.request("rooms"); });
}

TEST_CASE("a request that waits less than the deadline runs; no deadline runs everything") {
  for (const std::uint32_t deadline_ms : {0u, 60000u}) {
    INFO("request_deadline_ms " << deadline_ms);
    ServerProcess server(one_worker(deadline_ms));
    TestClient client(server.port());
    expect_ok(client.guest("patient"));
    constexpr int kRequests = 2000;
    client.send_raw(rooms_requests(kRequests));
    for (int i = 0; i < kRequests; ++i) {
      const auto reply = client.next(20s);
      REQUIRE(reply.has_value());
      CHECK((*reply)["type"] == "ok");
    }
  }
}

TEST_CASE("hit and run: the queued requests of a connection that reset are not run") {
  // The one worker hashes a slow password while the runner's requests queue up behind it; the runner resets
  // its connection before the worker is free.
  Json config = one_worker(0);
  config["auth"] = slow_hash();
  ServerProcess server(config);
  server.add_admin("root");
  TestClient admin(server.port());
  expect_ok(admin.login("root"));  // hashed now, before the slow one
  auto runner = std::make_unique<TestClient>(server.port());
  expect_ok(runner->guest("runner"));
  TestClient hasher(server.port());
  hasher.send({{"op", "register"}, {"id", 1}, {"name", "slowhash"}, {"password", "password123"}});
  std::this_thread::sleep_for(50ms);  // the worker is hashing

  constexpr int kRequests = 2000;
  runner->send_raw(rooms_requests(kRequests));
  std::this_thread::sleep_for(100ms);  // read and queued: nothing runs while the worker hashes
  const linger reset{1, 0};
  REQUIRE(::setsockopt(runner->fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset) == 0);
  runner.reset();  // closed with linger 0: a reset

  const auto registered = hasher.next(60s);
  REQUIRE(registered.has_value());
  expect_ok(*registered);
  Json stats;
  for (int attempt = 0; attempt < 200; ++attempt) {
    stats = expect_ok(admin.request("stats"));
    if (stats["bus"]["backlog"].get<std::uint64_t>() <= 1) break;  // only this stats request left
    std::this_thread::sleep_for(50ms);
  }
  // They waited behind the hash until after the reset: none of them ran.
  CHECK(stats["requests"]["cancelled"].get<std::uint64_t>() > 0);
  CHECK(stats["requests"]["expired"] == 0);  // no deadline here: nothing was answered overloaded
  expect_ok(admin.request("rooms"));
}
