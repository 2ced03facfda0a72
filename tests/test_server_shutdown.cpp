// Graceful shutdown of the real process on SIGTERM and SIGINT: every client is told, the door is closed
// before that, acknowledged messages are committed, and the process exits 0 within its bound.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <optional>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "tests/support/server_process.hpp"
#include "tests/support/test_client.hpp"

using chat::test::expect_ok;
using chat::test::ServerProcess;
using chat::test::TestClient;
using Json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

// 0 when a TCP connection to the port on loopback is accepted by the kernel, otherwise the errno.
int try_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // no doctest assertion here: it also runs on a thread
  if (fd < 0) return errno;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 ? 0 : errno;
  ::close(fd);
  return result;
}

}  // namespace

TEST_CASE("SIGTERM and SIGINT: clients are told, new connections are refused after the notice, exit 0 in time") {
  constexpr int kShutdownTimeoutMs = 2000;
  // The documented bound is shutdown_timeout_ms plus 1 s for the last writes; the rest is slack for a loaded
  // (or sanitized) machine. Nothing here measures speed: the process must end on its own, with 0.
  constexpr auto kBound = std::chrono::milliseconds(kShutdownTimeoutMs + 1000) + 10s;
  for (const int signal : {SIGTERM, SIGINT}) {
    const char* name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
    INFO(name);
    ServerProcess server(Json({{"server", {{"shutdown_timeout_ms", kShutdownTimeoutMs}}}, {"limits", {{"rate_per_sec", 0}}}}));
    TestClient alice(server.port());
    TestClient bob(server.port());
    expect_ok(alice.register_user("alice"));
    expect_ok(bob.register_user("bob"));
    expect_ok(alice.request("create", {{"room", "general"}}));
    expect_ok(bob.request("join", {{"room", "general"}}));
    for (int i = 0; i < 100; ++i) alice.send({{"op", "send"}, {"room", "general"}, {"text", std::to_string(i)}});

    // New connections keep knocking while the server stops: accepting and closing the door race.
    std::atomic<bool> knocking{true};
    std::thread knocker([&] {
      while (knocking.load() && try_connect(server.port()) == 0) std::this_thread::sleep_for(1ms);
    });
    server.send_signal(signal);
    CHECK(alice.wait_event("shutdown", kBound)["type"] == "shutdown");
    CHECK(bob.wait_event("shutdown", kBound)["type"] == "shutdown");
    // Told to go: the listening socket is closed already, so nobody gets back in.
    CHECK(try_connect(server.port()) == ECONNREFUSED);
    knocking.store(false);
    knocker.join();
    CHECK(alice.wait_closed(kBound));
    CHECK(bob.wait_closed(kBound));

    const auto status = server.wait_exit(kBound);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(server.log().find(std::string("received ") + name) != std::string::npos);

    int acknowledged = 0;
    for (const auto& event : alice.events()) {
      if (event.value("type", "") == "ok" && event.value("op", "") == "send") ++acknowledged;
    }
    SQLite::Database db(server.db_path().string(), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT COUNT(*) FROM messages").getInt() >= acknowledged);
  }
}

TEST_CASE("ShutdownMidStream: every request read before the notice is answered, then the notice, then an orderly close") {
  ServerProcess server(Json({{"limits", {{"rate_per_sec", 0}}}}));
  TestClient client(server.port());
  expect_ok(client.guest("streamer"));
  std::string block;
  constexpr int kPings = 20000;
  for (int id = 1; id <= kPings; ++id) block += R"({"op":"ping","id":)" + std::to_string(id) + "}\n";
  std::thread writer([&] {
    try {
      client.send_raw(block);
    } catch (const std::exception&) {
      // The server stopped reading and closed: the rest is never read, and the notice says so.
    }
  });
  std::this_thread::sleep_for(20ms);
  server.send_signal(SIGTERM);
  CHECK(client.wait_closed(20s));
  writer.join();
  CHECK_FALSE(client.was_reset());
  const auto status = server.wait_exit(20s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);

  // Replies for a prefix of the requests, each once (a refusal may overtake a pong); nothing after the notice.
  std::vector<std::int64_t> ids;
  bool noticed = false;
  for (const auto& line : client.events()) {
    if (line.value("type", "") == "shutdown") {
      noticed = true;
      continue;
    }
    CHECK_FALSE(noticed);
    if (!line.contains("id")) continue;
    ids.push_back(line["id"].get<std::int64_t>());
    CHECK((line["type"] == "pong" || line.value("code", "") == "overloaded"));
  }
  CHECK(noticed);
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] != static_cast<std::int64_t>(i + 1)) {
      FAIL_CHECK("replies skip or repeat request " << i + 1);
      break;
    }
  }
  const auto expected = static_cast<std::int64_t>(ids.size()) + 1;
  MESSAGE("answered " << expected - 1 << " of " << kPings << " pings");
}

namespace {

// A member of #general with a small receive window, so that what the room says piles up in the server's
// queue for it rather than in the kernel's buffers.
struct SlowReader {
  TestClient client;
  explicit SlowReader(std::uint16_t port) : client(port) {
    expect_ok(client.register_user("slow"));
    expect_ok(client.request("join", {{"room", "general"}}));
    int small = 64 * 1024;
    setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  }
};

// Says about `bytes` in #general through `sender`, each message acknowledged.
void talk(TestClient& sender, std::size_t bytes) {
  const std::string text(4000, 't');
  for (std::size_t sent = 0; sent < bytes; sent += text.size()) {
    expect_ok(sender.request("send", {{"room", "general"}, {"text", text}}));
  }
}

// More than the kernel buffers both ends can hold, less than the slow reader's queue.
constexpr std::size_t kBacklogBytes = 12 * 1024 * 1024;
const Json kLargeQueue = {{"outbound_queue_bytes", 32 * 1024 * 1024}, {"rate_per_sec", 0}};

}  // namespace

TEST_CASE("SlowReaderAtShutdown: a client that reads late still gets the notice within shutdown_timeout_ms") {
  // Ample: the client must read 12 MiB within it, also under a sanitizer on a busy machine.
  ServerProcess server(Json({{"server", {{"shutdown_timeout_ms", 15000}}}, {"limits", kLargeQueue}}));
  std::optional<TestClient> owner(std::in_place, server.port());
  expect_ok(owner->register_user("owner"));
  expect_ok(owner->request("create", {{"room", "general"}}));
  SlowReader slow(server.port());
  talk(*owner, kBacklogBytes);
  // Gone before the signal: it would read nothing more, and its close would wait out the whole timeout.
  owner.reset();
  server.send_signal(SIGTERM);
  // Longer than the fixed grace a close once had, shorter than the configured timeout.
  std::this_thread::sleep_for(2500ms);
  std::size_t messages = 0;
  for (;;) {
    auto line = slow.client.next(10s);
    REQUIRE(line.has_value());
    if ((*line)["type"] == "shutdown") break;
    messages += (*line)["type"] == "msg";
  }
  CHECK(messages == kBacklogBytes / 4000 + (kBacklogBytes % 4000 != 0));
  CHECK(slow.client.wait_closed(10s));
  // Its end too: the server waits for it (an orderly close) until the timeout.
  ::shutdown(slow.client.fd(), SHUT_WR);
  const auto status = server.wait_exit(10s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

TEST_CASE("StuckReaderAtShutdown: a client that never reads does not hold the process past its bound") {
  constexpr int kTimeoutMs = 500;
  ServerProcess server(Json({{"server", {{"shutdown_timeout_ms", kTimeoutMs}}}, {"limits", kLargeQueue}}));
  TestClient owner(server.port());
  expect_ok(owner.register_user("owner"));
  expect_ok(owner.request("create", {{"room", "general"}}));
  SlowReader stuck(server.port());
  talk(owner, kBacklogBytes);
  const auto signalled = std::chrono::steady_clock::now();
  server.send_signal(SIGTERM);
  const auto status = server.wait_exit(10s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  MESSAGE("exit after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  // Documented: shutdown_timeout_ms + 1 s. The margin is for the process's own exit on a loaded machine.
  CHECK(took < std::chrono::milliseconds(kTimeoutMs + 1000) + 500ms);
}
