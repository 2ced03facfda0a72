#include "tests/support/message_burst.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

namespace chat::test {

std::set<std::int64_t> send_burst_killed_halfway(ServerProcess& server, TestClient& sender, const std::string& room,
                                                  int count, int window) {
  std::set<std::int64_t> acknowledged;
  int sent = 0;
  int answered = 0;
  bool killed = false;
  try {
    while (answered < count) {
      while (sent < count && sent - answered < window) {
        sender.send({{"op", "send"}, {"id", sent}, {"room", room}, {"text", "m" + std::to_string(sent)}});
        ++sent;
      }
      auto line = sender.next(std::chrono::seconds(10));
      REQUIRE(line.has_value());
      if ((*line).value("type", "") == "ok" && (*line).value("op", "") == "send") {
        acknowledged.insert((*line)["seq"].get<std::int64_t>());
        ++answered;
      }
      if (!killed && answered == count / 2) {
        server.kill9();
        killed = true;
      }
    }
  } catch (const std::runtime_error&) {
    // The connection died with the server: expected.
  }
  REQUIRE(killed);
  return acknowledged;
}

std::set<std::int64_t> stored_seqs(TestClient& client, const std::string& room) {
  std::set<std::int64_t> stored;
  std::int64_t after = 0;
  for (;;) {
    auto page = expect_ok(client.request("history", {{"room", room}, {"after", after}, {"limit", 100}}))["messages"];
    if (page.empty()) break;
    for (const auto& message : page) stored.insert(message["seq"].get<std::int64_t>());
    after = page.back()["seq"];
  }
  return stored;
}

}  // namespace chat::test
