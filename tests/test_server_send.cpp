// send through the real server: a message is acknowledged only once committed, a retried client id is stored
// once whatever the server remembers, and seqs have neither gaps nor reuse, also when storage fails.
#include <doctest/doctest.h>

#include <set>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"
#include "tests/test_storage_faults.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

Json send_request(int id, std::string_view text, std::optional<std::string> cid = std::nullopt) {
  Json request{{"op", "send"}, {"id", id}, {"room", "general"}, {"text", text}};
  if (cid) request["cid"] = *cid;
  return request;
}

// Every line up to and including the replies to all of `ids`, in arrival order.
std::vector<Json> lines_until_answered(TestClient& client, std::set<int> ids) {
  std::vector<Json> lines;
  while (!ids.empty()) {
    auto line = client.next(10s);
    REQUIRE(line.has_value());
    if (line->contains("id") && (*line)["id"].is_number_integer()) ids.erase((*line)["id"].get<int>());
    lines.push_back(std::move(*line));
  }
  return lines;
}

std::ptrdiff_t position_of_reply(const std::vector<Json>& lines, int id) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].contains("id") && lines[i]["id"] == id) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

const Json& reply_to(const std::vector<Json>& lines, int id) {
  const auto at = position_of_reply(lines, id);
  REQUIRE(at >= 0);
  return lines[static_cast<std::size_t>(at)];
}

struct Room {
  ServerProcess server;
  TestClient alice;
  TestClient bob;
  explicit Room(Json config = Json::object()) : server(std::move(config)), alice(server.port()), bob(server.port()) {
    expect_ok(alice.register_user("alice"));
    expect_ok(bob.register_user("bob"));
    expect_ok(alice.request("create", {{"room", "general"}}));
    expect_ok(bob.request("join", {{"room", "general"}}));
  }
  std::int64_t last_seq(TestClient& client) {
    const auto reply = expect_ok(client.request("rooms"));
    for (const auto& room : reply["rooms"]) {
      if (room["room"] == "general") return room["last_seq"].get<std::int64_t>();
    }
    FAIL("no room general");
    return -1;
  }
};

}  // namespace

TEST_CASE("a retry sent while its original waits for its commit is answered after the original") {
  Room room;
  room.alice.send_raw(send_request(1, "once", "c-1").dump() + "\n" + send_request(2, "once", "c-1").dump() + "\n");
  const auto lines = lines_until_answered(room.alice, {1, 2});
  const auto& original = reply_to(lines, 1);
  const auto& retry = reply_to(lines, 2);
  REQUIRE(original["type"] == "ok");
  REQUIRE(retry["type"] == "ok");
  CHECK(retry["duplicate"] == true);
  CHECK(retry["seq"] == original["seq"]);
  // Acknowledged no earlier than the original: after its reply and after its broadcast.
  CHECK(position_of_reply(lines, 2) > position_of_reply(lines, 1));
  std::ptrdiff_t broadcast_at = -1;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i]["type"] == "msg") broadcast_at = static_cast<std::ptrdiff_t>(i);
  }
  CHECK(broadcast_at >= 0);
  CHECK(broadcast_at < position_of_reply(lines, 2));
  CHECK(expect_ok(room.alice.request("history", {{"room", "general"}}))["messages"].size() == 1);
}

TEST_CASE("a client id the server forgot is still recognised by the database, without a seq gap") {
  for (const int window : {0, 1}) {
    INFO("dedup_window " << window);
    Room room(Json({{"limits", {{"dedup_window", window}}}}));
    const auto first = expect_ok(room.alice.roundtrip(send_request(0, "first", "c-1")));
    CHECK(first["seq"] == 1);
    expect_ok(room.alice.roundtrip(send_request(0, "second", "c-2")));  // pushes c-1 out of a window of one
    const auto resent = expect_ok(room.alice.roundtrip(send_request(0, "first", "c-1")));
    CHECK(resent["seq"] == 1);
    CHECK(resent["duplicate"] == true);
    CHECK(expect_ok(room.alice.roundtrip(send_request(0, "third")))["seq"] == 3);
    std::vector<std::int64_t> seen;
    for (int i = 0; i < 3; ++i) {
      seen.push_back(room.bob.wait_event("msg")["seq"].get<std::int64_t>());
    }
    CHECK(seen == std::vector<std::int64_t>{1, 2, 3});
    CHECK_FALSE(room.bob.next(200ms).has_value());  // the resend was not delivered again
  }
}

TEST_CASE("a message storage refuses: internal to its sender only, no seq taken, its client id forgotten") {
  Room room;
  expect_ok(room.alice.roundtrip(send_request(0, "before", "c-0")));
  CHECK(room.bob.wait_event("msg")["seq"] == 1);
  chat::test::poison_messages(room.server.db_path());

  // The original and a retry of it, pipelined: neither may be acknowledged.
  const std::string poison(chat::test::kPoisonText);
  room.alice.send_raw(send_request(1, poison, "c-1").dump() + "\n" + send_request(2, poison, "c-1").dump() + "\n");
  const auto lines = lines_until_answered(room.alice, {1, 2});
  CHECK(reply_to(lines, 1)["code"] == "internal");
  CHECK(reply_to(lines, 2)["code"] == "internal");
  CHECK_FALSE(room.bob.next(200ms).has_value());  // the members heard nothing
  CHECK(room.last_seq(room.bob) == 1);            // nor were they told of a seq

  // The client id was not kept: a corrected retry is a new message, and it gets the next seq.
  const auto retried = expect_ok(room.alice.roundtrip(send_request(3, "fixed", "c-1")));
  CHECK(retried["seq"] == 2);
  CHECK_FALSE(retried.contains("duplicate"));
  CHECK(room.bob.wait_event("msg")["seq"] == 2);

  // A failure at the end of the room leaves no seq behind for a restart to reuse.
  CHECK(room.alice.roundtrip(send_request(4, poison))["code"] == "internal");
  room.server.restart();
  TestClient alice(room.server.port());
  CHECK(expect_ok(alice.login("alice"))["rooms"][0]["last_seq"] == 2);
  CHECK(expect_ok(alice.roundtrip(send_request(5, "after the restart")))["seq"] == 3);
  const auto history = expect_ok(alice.request("history", {{"room", "general"}}))["messages"];
  REQUIRE(history.size() == 3);
  for (std::size_t i = 0; i < history.size(); ++i) CHECK(history[i]["seq"] == static_cast<int>(i + 1));
}

TEST_CASE("a full commit backlog refuses sends with overloaded; everything acknowledged is stored, without gaps") {
  // One message may wait for storage at a time, and a burst arrives in one write: most of it finds the
  // backlog full while the first commit is written.
  Room room(Json({{"storage", {{"commit_backlog_max", 1}}}, {"limits", {{"rate_per_sec", 0}}}}));
  constexpr int kSends = 200;
  std::string burst;
  for (int i = 1; i <= kSends; ++i) burst += send_request(i, "m" + std::to_string(i)).dump() + "\n";
  room.alice.send_raw(burst);
  std::set<int> ids;
  for (int i = 1; i <= kSends; ++i) ids.insert(i);
  std::vector<std::int64_t> acknowledged;
  int refused = 0;
  for (const auto& line : lines_until_answered(room.alice, ids)) {
    if (!line.contains("id")) continue;
    if (line["type"] == "ok") {
      acknowledged.push_back(line["seq"].get<std::int64_t>());
    } else {
      CHECK(line["code"] == "overloaded");
      ++refused;
    }
  }
  MESSAGE(refused << " of " << kSends << " sends refused");
  CHECK(refused > 0);
  CHECK(acknowledged.size() + static_cast<std::size_t>(refused) == kSends);
  // The acknowledged ones are exactly the room's messages, seqs 1..n in order.
  for (std::size_t i = 0; i < acknowledged.size(); ++i) CHECK(acknowledged[i] == static_cast<std::int64_t>(i + 1));
  CHECK(room.last_seq(room.alice) == static_cast<std::int64_t>(acknowledged.size()));
}

TEST_CASE("sends pipelined behind their joins in one write are handled after the joins, in the order read") {
  // A send may run on the connection's reader; a join waits for a worker. Read in one write, the sends
  // must still see their joins done (no forbidden) and take seqs in the order they were written.
  Room room;
  constexpr int kRooms = 15;  // with the fixture's room, within rooms.max_per_owner (20)
  constexpr int kSendsPerRoom = 5;
  for (int r = 0; r < kRooms; ++r) expect_ok(room.alice.request("create", {{"room", "r" + std::to_string(r)}}));
  std::string batch;
  std::set<int> ids;
  int id = 100;
  for (int r = 0; r < kRooms; ++r) {
    const std::string name = "r" + std::to_string(r);
    batch += Json{{"op", "join"}, {"id", id}, {"room", name}}.dump() + "\n";
    ids.insert(id++);
    for (int i = 0; i < kSendsPerRoom; ++i) {
      batch += Json{{"op", "send"}, {"id", id}, {"room", name}, {"text", std::to_string(i)}}.dump() + "\n";
      ids.insert(id++);
    }
  }
  room.bob.send_raw(batch);
  const auto lines = lines_until_answered(room.bob, ids);
  id = 100;
  for (int r = 0; r < kRooms; ++r) {
    CHECK(reply_to(lines, id++)["type"] == "ok");
    for (int i = 0; i < kSendsPerRoom; ++i) {
      const auto& reply = reply_to(lines, id++);
      REQUIRE_MESSAGE(reply["type"] == "ok", reply.dump());
      CHECK(reply["seq"] == i + 1);
    }
  }
}
