// Direct messages through the real server: an offline message is never lost — not to a live message racing
// the log-in, not to a connection that dropped it, not to a backlog larger than the outbound queue.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The dm events `client` receives until it has `count` of them (each wait bounded).
std::vector<std::int64_t> collect_dm_ids(TestClient& client, std::size_t count) {
  std::vector<std::int64_t> ids;
  while (ids.size() < count) ids.push_back(client.wait_event("dm", 20s)["dm_id"].get<std::int64_t>());
  return ids;
}

std::int64_t slow_consumers(TestClient& admin) {
  return expect_ok(admin.request("stats"))["disconnects"]["slow_consumer"].get<std::int64_t>();
}

}  // namespace

TEST_CASE("live messages racing a log-in neither overtake nor erase the ones that waited") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("logout"));  // offline for sure before anything is sent to him
  }
  constexpr int kWaiting = 300;
  for (int i = 0; i < kWaiting; ++i) {
    alice.send({{"op", "dm"}, {"id", i}, {"to", "bob"}, {"text", "waited " + std::to_string(i)}});
  }
  for (int answered = 0; answered < kWaiting;) {
    auto reply = alice.next(10s);
    REQUIRE(reply.has_value());
    if ((*reply)["type"] == "ok") ++answered;
  }
  // A second sender keeps writing until bob's log-in is answered, so live messages arrive all around it.
  TestClient carol(server.port());
  expect_ok(carol.register_user("carol"));
  std::atomic<bool> logged_in{false};
  int live_sent = 0;
  std::thread live([&] {
    for (int after = 0; after < 50 && live_sent < 20000; ++live_sent) {
      carol.send({{"op", "dm"}, {"to", "bob"}, {"text", "live " + std::to_string(live_sent)}});
      if (logged_in.load()) ++after;
    }
  });
  TestClient bob(server.port());
  auto login = expect_ok(bob.login("bob"));
  logged_in.store(true);
  CHECK(login["pending_dms"].get<int>() >= kWaiting);
  live.join();

  const auto ids = collect_dm_ids(bob, static_cast<std::size_t>(kWaiting + live_sent));
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());  // none twice
  CHECK(std::is_sorted(ids.begin(), ids.end()));                               // none overtook an older one
  CHECK_FALSE(bob.next(300ms).has_value());
  TestClient again(server.port());
  CHECK(expect_ok(again.login("bob"))["pending_dms"] == 0);  // and every one is marked delivered
}

TEST_CASE("a direct message a connection dropped as a slow consumer waits for the next log-in") {
  ServerProcess server(Json({{"limits", {{"max_message_chars", 1000}, {"outbound_queue_bytes", 16384}, {"rate_per_sec", 0}}}}));
  server.add_admin("admin");
  TestClient admin(server.port());
  expect_ok(admin.login("admin"));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  TestClient sleeper(server.port());
  expect_ok(sleeper.register_user("bob"));
  int tiny = 4096;
  setsockopt(sleeper.fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);

  // Bob never reads: once the kernel buffers are full his queue overflows and the server cuts him off. The
  // message that overflowed it, and any sent before his departure was complete, were never queued.
  const std::string text(1000, 'd');
  std::int64_t last_sent = 0;
  for (int i = 0; i < 20000 && slow_consumers(admin) == 0; ++i) {
    last_sent = expect_ok(alice.request("dm", {{"to", "bob"}, {"text", text}}))["dm_id"].get<std::int64_t>();
  }
  REQUIRE(slow_consumers(admin) == 1);

  TestClient bob(server.port());
  const auto login = expect_ok(bob.login("bob"));
  REQUIRE(login["pending_dms"].get<int>() >= 1);
  std::vector<std::int64_t> ids = collect_dm_ids(bob, login["pending_dms"].get<std::size_t>());
  CHECK(ids.back() == last_sent);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
}

TEST_CASE("a backlog of direct messages larger than the outbound queue arrives whole, in parts") {
  ServerProcess server(Json({{"limits", {{"max_message_chars", 1000}, {"outbound_queue_bytes", 16384}, {"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("logout"));  // offline for sure before anything is sent to him
  }
  constexpr int kWaiting = 300;  // about 20 times the outbound queue
  const std::string text(1000, 'b');
  for (int i = 0; i < kWaiting; ++i) expect_ok(alice.request("dm", {{"to", "bob"}, {"text", text}}));

  TestClient bob(server.port());
  CHECK(expect_ok(bob.login("bob"))["pending_dms"] == kWaiting);
  const auto ids = collect_dm_ids(bob, kWaiting);
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  // The inbox opened after the backlog: a live message follows it.
  const auto live = expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "now"}}))["dm_id"];
  CHECK(bob.wait_event("dm")["dm_id"] == live);
  TestClient again(server.port());
  CHECK(expect_ok(again.login("bob"))["pending_dms"] == 0);
}

TEST_CASE("DirectMessageCidCollision: a cid already used for one recipient does not swallow a dm to another") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  TestClient carol(server.port());
  expect_ok(carol.register_user("carol"));

  const auto to_bob = expect_ok(alice.request("dm", {{"to", "bob"}, {"text", "for bob"}, {"cid", "same"}}));
  const auto to_carol = expect_ok(alice.request("dm", {{"to", "carol"}, {"text", "for carol"}, {"cid", "same"}}));
  CHECK_FALSE(to_carol.contains("duplicate"));
  CHECK(to_carol["dm_id"] != to_bob["dm_id"]);
  const auto dm = carol.wait_event("dm");
  CHECK(dm["text"] == "for carol");
  CHECK(dm["dm_id"] == to_carol["dm_id"]);
  // A retry to the same recipient is still one message.
  const auto retry = expect_ok(alice.request("dm", {{"to", "carol"}, {"text", "for carol"}, {"cid", "same"}}));
  CHECK(retry["duplicate"] == true);
  CHECK(retry["dm_id"] == to_carol["dm_id"]);
  CHECK(bob.wait_event("dm")["text"] == "for bob");
  CHECK_FALSE(bob.next(300ms).has_value());
  CHECK_FALSE(carol.next(300ms).has_value());
}
