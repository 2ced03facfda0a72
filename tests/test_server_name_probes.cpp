// Account enumeration through the real server: requests that tell whether a name exists are rate limited per
// address, and a taken name reads the same whether an account or a guest holds it.
#include <doctest/doctest.h>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("AccountEnumeration: guest name probes from one address are refused once its probes are spent") {
  ServerProcess server(Json({{"auth", {{"name_probe_burst", 5}, {"name_probe_per_min", 1}}}}));
  for (const auto* name : {"alice", "bob", "carol"}) server.add_user(name);
  TestClient online(server.port(), true, "127.0.0.2");
  expect_ok(online.guest("visitor"));

  TestClient prober(server.port());
  // Registered or held by a guest online: one answer.
  const auto registered = prober.guest("alice");
  const auto in_use = prober.guest("visitor");
  CHECK(registered["code"] == "conflict");
  CHECK(in_use["code"] == "conflict");
  CHECK(registered["message"] == "name 'alice' is taken");
  CHECK(in_use["message"] == "name 'visitor' is taken");
  CHECK(prober.guest("bob")["code"] == "conflict");
  CHECK(prober.register_user("carol", "password123")["code"] == "conflict");
  CHECK(prober.guest("nobody1")["type"] == "ok");  // a free name costs nothing
  expect_ok(prober.request("logout"));
  CHECK(prober.guest("alice")["code"] == "conflict");  // the fifth probe

  // Spent: refused whatever the answer would be — a registered name, a free one — and nothing taken.
  for (const auto* name : {"bob", "dave"}) {
    const auto refused = prober.guest(name);
    CHECK(refused["code"] == "rate_limited");
    CHECK(refused["retry_after_ms"].get<std::int64_t>() > 0);
  }
  TestClient someone(server.port(), true, "127.0.0.3");
  expect_ok(someone.guest("dave"));  // another address: its own probes, and dave was not taken
  CHECK(someone.request("dm", {{"to", "nobody2"}, {"text", "hi"}})["code"] == "not_found");

  server.add_admin("admin");
  TestClient admin(server.port(), true, "127.0.0.4");
  expect_ok(admin.login("admin"));
  CHECK(expect_ok(admin.request("stats"))["auth"]["name_probes_refused"] == 2);
}

TEST_CASE("AccountEnumeration: direct messages to unknown names spend probes too") {
  ServerProcess server(Json({{"auth", {{"name_probe_burst", 3}, {"name_probe_per_min", 1}}}}));
  server.add_user("alice");
  TestClient prober(server.port());
  expect_ok(prober.guest("prober"));
  for (int i = 0; i < 3; ++i) {
    CHECK(prober.request("dm", {{"to", "ghost" + std::to_string(i)}, {"text", "x"}})["code"] == "not_found");
  }
  // A name that exists is refused as well: the refusal tells nothing.
  const auto refused = prober.request("dm", {{"to", "alice"}, {"text", "x"}});
  CHECK(refused["code"] == "rate_limited");
  CHECK(refused.contains("retry_after_ms"));
}
