#pragma once
// What durability tests do on either storage backend: a burst of sends cut by kill -9, and the seqs a room
// holds afterwards.

#include <cstdint>
#include <set>
#include <string>

namespace chat::test {

class ServerProcess;
class TestClient;

// Sends `count` messages to `room` through `sender`, `window` unanswered at a time, and kills the server
// (kill -9) once half of them are acknowledged. Returns the seqs acknowledged before the connection died.
std::set<std::int64_t> send_burst_killed_halfway(ServerProcess& server, TestClient& sender, const std::string& room,
                                                  int count, int window = 64);

// Every seq `room` holds, paging forward through its history as `client` sees it.
std::set<std::int64_t> stored_seqs(TestClient& client, const std::string& room);

}  // namespace chat::test
