// Graceful shutdown of the real process on SIGTERM and SIGINT: every client is told, the door is closed
// before that, acknowledged messages are committed, and the process exits 0 within its bound.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

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
