// The real chat-client asking for a password on a pseudo-terminal: nothing
// typed is echoed, and however the prompt ends, the terminal echoes again.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <csignal>

#include "tests/client/client_process.hpp"
#include "tests/client/pty_process.hpp"

using namespace chat::test;

namespace {

std::vector<std::string> asks_for_password() {
  // Nothing listens on the port: after the prompt the client exits 3.
  return {"--port", std::to_string(free_port()), "--user", "alice", "--color", "never"};
}

}  // namespace

TEST_CASE("the password is not echoed, and echo is back once it is entered") {
  PtyProcess client(asks_for_password());
  REQUIRE_MESSAGE(client.wait_for_output("Password for alice: "), client.output());
  CHECK_FALSE(client.echo_on());
  client.type("not to be seen\n");
  const auto status = client.wait();
  INFO("terminal:\n" << client.output());
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 3);
  CHECK(client.output().find("not to be seen") == std::string::npos);
  CHECK(client.echo_on());
}

TEST_CASE("a signal at the password prompt ends the client with the terminal echoing again") {
  PtyProcess client(asks_for_password());
  REQUIRE_MESSAGE(client.wait_for_output("Password for alice: "), client.output());
  REQUIRE_FALSE(client.echo_on());
  int expected = 0;
  SUBCASE("Ctrl-C") {
    expected = SIGINT;
    client.type("half a pass\x03");
  }
  SUBCASE("SIGTERM") {
    expected = SIGTERM;
    client.signal(SIGTERM);
  }
  SUBCASE("SIGHUP") {
    expected = SIGHUP;
    client.signal(SIGHUP);
  }
  const auto status = client.wait();
  INFO("terminal:\n" << client.output());
  REQUIRE(status.has_value());
  // The signal still ends the process, as it would have without a prompt.
  CHECK(WIFSIGNALED(*status));
  CHECK(WTERMSIG(*status) == expected);
  CHECK(client.echo_on());
}
