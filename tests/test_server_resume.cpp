// Resuming a room after a long absence: whatever the backlog, the replay fits the connection's outbound
// queue, and the rest comes through history without a gap or a duplicate.
#include <doctest/doctest.h>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("a replay larger than the outbound queue is cut to fit; history fetches the rest exactly once") {
  // 300 messages of 1000 characters are ten times the outbound queue.
  ServerProcess server(Json({{"limits",
                              {{"max_message_chars", 1000}, {"outbound_queue_bytes", 32768}, {"rate_per_sec", 0}}}}));
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  {
    TestClient bob(server.port());
    expect_ok(bob.register_user("bob"));
    expect_ok(bob.request("join", {{"room", "general"}}));
  }
  constexpr int kBacklog = 300;
  const std::string text(1000, 'x');
  for (int i = 0; i < kBacklog; ++i) expect_ok(alice.request("send", {{"room", "general"}, {"text", text}}));

  TestClient bob(server.port());
  expect_ok(bob.login("bob"));
  const auto joined = expect_ok(bob.request("join", {{"room", "general"}, {"since", 0}}));
  std::vector<std::int64_t> replayed;
  for (const auto& event : bob.events()) {
    if (event.value("type", "") == "msg") replayed.push_back(event["seq"].get<std::int64_t>());
  }
  bob.events().clear();
  CHECK(joined["last_seq"] == kBacklog);
  CHECK(joined["replayed"].get<std::size_t>() == replayed.size());
  REQUIRE(joined["truncated"] == true);
  REQUIRE_FALSE(replayed.empty());
  CHECK(replayed.size() < kBacklog / 10);  // at most half of the queue
  CHECK(joined["history_before"] == replayed.front());
  CHECK(replayed.back() == kBacklog);  // the newest: they meet the live messages

  // The documented way to the rest: history pages forward from `since`, bounded by history_before.
  std::vector<std::int64_t> fetched;
  std::int64_t after = 0;
  const auto before = joined["history_before"].get<std::int64_t>();
  for (int pages = 0; pages < kBacklog; ++pages) {
    const auto page = expect_ok(bob.request(
        "history", {{"room", "general"}, {"after", after}, {"before", before}, {"limit", 100}}))["messages"];
    if (page.empty()) break;
    CHECK(page.size() < 100);  // cut to the reply budget
    for (const auto& message : page) fetched.push_back(message["seq"].get<std::int64_t>());
    after = page.back()["seq"];
  }
  fetched.insert(fetched.end(), replayed.begin(), replayed.end());
  std::vector<std::int64_t> expected(kBacklog);
  for (int i = 0; i < kBacklog; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
  CHECK(fetched == expected);

  // Paging backwards keeps the newest messages of each cut page, so `before` moves on without a gap too.
  std::vector<std::int64_t> backwards;
  std::int64_t cursor = kBacklog + 1;
  for (int pages = 0; pages < kBacklog && cursor > 1; ++pages) {
    const auto page =
        expect_ok(bob.request("history", {{"room", "general"}, {"before", cursor}, {"limit", 100}}))["messages"];
    REQUIRE_FALSE(page.empty());
    CHECK(page.back()["seq"] == cursor - 1);
    cursor = page.front()["seq"];
    for (auto message = page.rbegin(); message != page.rend(); ++message) backwards.push_back((*message)["seq"]);
  }
  CHECK(backwards.size() == static_cast<std::size_t>(kBacklog));

  // Still connected, and live messages follow.
  expect_ok(alice.request("send", {{"room", "general"}, {"text", "live"}}));
  CHECK(bob.wait_event("msg")["seq"] == kBacklog + 1);
}
