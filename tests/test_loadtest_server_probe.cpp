// The server probe reads /proc of a process; here, of this test itself.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>

#include "loadtest/server_probe.hpp"

using chat::loadtest::ServerProbe;

TEST_CASE("server probe: memory and CPU of a live process") {
  const ServerProbe probe(::getpid());
  const auto sample = probe.sample();
  REQUIRE(sample.has_value());
  CHECK(sample->rss_kb > 0);
  CHECK(sample->cpu_s >= 0);
  CHECK_FALSE(ServerProbe(0).sample().has_value());
  CHECK_FALSE(ServerProbe(0).sockets().has_value());
}

TEST_CASE("server probe: counts sockets, not files") {
  const ServerProbe probe(::getpid());
  const auto before = probe.sockets();
  REQUIRE(before.has_value());

  std::FILE* file = std::tmpfile();  // a file opened meanwhile is no connection
  REQUIRE(file != nullptr);
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  CHECK(probe.sockets() == *before + 2);

  ::close(pair[0]);
  ::close(pair[1]);
  std::fclose(file);
  CHECK(probe.sockets() == *before);
}
