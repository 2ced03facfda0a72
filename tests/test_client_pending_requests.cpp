#include <doctest/doctest.h>

#include "client/pending_requests.hpp"

using namespace chat::client;
using nlohmann::json;

TEST_CASE("requests get increasing ids; messages a cid made from the id") {
  PendingRequests pending("run1");
  const auto& first = pending.add(json{{"op", "join"}, {"room", "a"}}, Origin::User);
  CHECK(first.id == 1);
  CHECK(first.request["id"] == 1);
  CHECK_FALSE(first.request.contains("cid"));
  const auto& send = pending.add(json{{"op", "send"}, {"room", "a"}, {"text", "x"}}, Origin::User);
  CHECK(send.request["cid"] == "run1-2");
  const auto& dm = pending.add(json{{"op", "dm"}, {"to", "b"}, {"text", "x"}}, Origin::User);
  CHECK(dm.request["cid"] == "run1-3");
}

TEST_CASE("replies are matched by id, once") {
  PendingRequests pending("p");
  pending.add(json{{"op", "rooms"}}, Origin::User);
  pending.add(json{{"op", "ping"}}, Origin::Ping);
  CHECK_FALSE(pending.take(json{{"type", "ok"}, {"id", 9}}).has_value());
  CHECK_FALSE(pending.take(json{{"type", "msg"}}).has_value());
  const auto taken = pending.take(json{{"type", "pong"}, {"id", 2}});
  REQUIRE(taken.has_value());
  CHECK(taken->origin == Origin::Ping);
  CHECK_FALSE(pending.take(json{{"type", "pong"}, {"id", 2}}).has_value());
}

TEST_CASE("a lost connection keeps the user's requests, unsent, and drops its own") {
  PendingRequests pending("p");
  auto& send = pending.add(json{{"op", "send"}, {"room", "a"}, {"text", "x"}}, Origin::User);
  send.sent_on = 1;
  pending.add(json{{"op", "login"}}, Origin::Auth).sent_on = 1;
  pending.add(json{{"op", "join"}}, Origin::Rejoin).sent_on = 1;
  pending.add(json{{"op", "join"}}, Origin::Autojoin).sent_on = 1;
  CHECK(pending.unsent(1).empty());
  pending.connection_lost();
  const auto again = pending.unsent(2);
  REQUIRE(again.size() == 2);
  CHECK(again[0]->request["op"] == "send");
  CHECK(again[0]->request["cid"] == "p-1");  // the same cid: the server stores it once
  CHECK(again[1]->origin == Origin::Autojoin);
  CHECK(pending.has_user_requests());
}
