// whois through the real server: who a name is (an account or a guest), whether it is online, and the rooms the
// asker shares with it — never a room the asker is not in.
#include <doctest/doctest.h>

#include <functional>
#include <thread>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

Json whois(TestClient& asker, std::string_view user) { return asker.request("whois", {{"user", user}}); }

// Asks until `done` holds for the reply (a departure completes a moment after the client sees its close).
Json whois_until(TestClient& asker, std::string_view user, const std::function<bool(const Json&)>& done) {
  for (int attempt = 0;; ++attempt) {
    auto reply = whois(asker, user);
    if (done(reply) || attempt == 200) return reply;
    std::this_thread::sleep_for(25ms);
  }
}

}  // namespace

TEST_CASE("whois: an account online and offline, the rooms both are in, never a private room of others") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  TestClient bob(server.port());
  expect_ok(bob.register_user("bob"));
  TestClient carol(server.port());
  expect_ok(carol.register_user("carol"));

  expect_ok(alice.request("create", {{"room", "lobby"}}));
  expect_ok(alice.request("create", {{"room", "general"}}));
  expect_ok(alice.request("create", {{"room", "den"}, {"private", true}}));  // alice's alone
  expect_ok(carol.request("create", {{"room", "secret"}, {"private", true}}));
  expect_ok(carol.request("invite", {{"room", "secret"}, {"user", "bob"}}));
  for (const auto* room : {"general", "lobby", "secret"}) expect_ok(bob.request("join", {{"room", room}}));
  expect_ok(carol.request("create", {{"room", "quiet"}}));  // public, but alice is not in it

  const auto reply = expect_ok(alice.request("whois", {{"user", "Bob"}}));
  CHECK(reply == Json{{"type", "ok"},
                      {"op", "whois"},
                      {"id", reply["id"]},
                      {"user", "bob"},
                      {"registered", true},
                      {"online", true},
                      {"rooms", {"general", "lobby"}}});
  // Each sees only the rooms it shares: carol shares secret with bob, bob shares nothing private of alice's.
  CHECK(expect_ok(whois(carol, "bob"))["rooms"] == Json{"secret"});
  CHECK(expect_ok(whois(bob, "alice"))["rooms"] == Json{"general", "lobby"});
  CHECK(expect_ok(whois(alice, "alice"))["rooms"] == Json{"den", "general", "lobby"});
  CHECK(expect_ok(whois(alice, "carol"))["rooms"] == Json::array());

  expect_ok(bob.request("logout"));
  const auto offline = expect_ok(whois_until(alice, "bob", [](const Json& r) { return !r.value("online", true); }));
  CHECK(offline["online"] == false);
  CHECK(offline["registered"] == true);
  CHECK(offline["rooms"] == Json{"general", "lobby"});  // memberships outlive the connection
}

TEST_CASE("whois: a guest online is no account; once gone, nobody; an unknown name is not_found") {
  ServerProcess server;
  TestClient alice(server.port());
  expect_ok(alice.register_user("alice"));
  expect_ok(alice.request("create", {{"room", "general"}}));
  {
    TestClient visitor(server.port());
    expect_ok(visitor.guest("Visitor"));
    expect_ok(visitor.request("join", {{"room", "general"}}));
    const auto guest = expect_ok(whois(alice, "visitor"));
    CHECK(guest["user"] == "visitor");
    CHECK(guest["registered"] == false);
    CHECK(guest["online"] == true);
    CHECK(guest["rooms"] == Json{"general"});
    // A guest may ask too.
    const auto asked = expect_ok(whois(visitor, "alice"));
    CHECK(asked["registered"] == true);
    CHECK(asked["rooms"] == Json{"general"});
  }
  const auto gone = whois_until(alice, "visitor", [](const Json& r) { return r.value("type", "") == "error"; });
  CHECK(gone["code"] == "not_found");

  const auto unknown = whois(alice, "nobody");
  CHECK(unknown["type"] == "error");
  CHECK(unknown["op"] == "whois");
  CHECK(unknown["code"] == "not_found");
  CHECK(whois(alice, "not a name")["code"] == "bad_request");
  CHECK(alice.request("whois")["code"] == "bad_request");  // no user field

  TestClient stranger(server.port());
  CHECK(whois(stranger, "alice")["code"] == "unauthorized");
}
