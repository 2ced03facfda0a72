#include <doctest/doctest.h>

#include "client/backoff.hpp"

using namespace chat::client;
using std::chrono::milliseconds;

TEST_CASE("delays double up to the cap; without jitter they are exact") {
  Backoff backoff({milliseconds(500), milliseconds(4000), 2.0, 0.0, 0}, [] { return 0.5; });
  CHECK(backoff.next_delay() == milliseconds(500));
  CHECK(backoff.next_delay() == milliseconds(1000));
  CHECK(backoff.next_delay() == milliseconds(2000));
  CHECK(backoff.next_delay() == milliseconds(4000));
  CHECK(backoff.next_delay() == milliseconds(4000));
  CHECK(backoff.attempts() == 5);
}

TEST_CASE("jitter spreads a delay by at most its fraction, both ways") {
  double random = 0.0;
  Backoff backoff({milliseconds(1000), milliseconds(30'000), 2.0, 0.2, 0}, [&random] { return random; });
  CHECK(backoff.next_delay() == milliseconds(800));
  random = 0.999999;
  CHECK(backoff.next_delay() == milliseconds(2400));
  random = 0.5;
  CHECK(backoff.next_delay() == milliseconds(4000));
}

TEST_CASE("the default random source stays within the jitter bounds") {
  Backoff backoff({milliseconds(1000), milliseconds(1000), 2.0, 0.25, 0});
  for (int i = 0; i < 200; ++i) {
    const auto delay = backoff.next_delay();
    REQUIRE(delay.has_value());
    CHECK(*delay >= milliseconds(750));
    CHECK(*delay <= milliseconds(1250));
  }
}

TEST_CASE("attempts run out at max_attempts; a success starts over") {
  Backoff backoff({milliseconds(100), milliseconds(10'000), 2.0, 0.0, 3}, [] { return 0.5; });
  CHECK(backoff.next_delay() == milliseconds(100));
  CHECK(backoff.next_delay() == milliseconds(200));
  CHECK(backoff.next_delay() == milliseconds(400));
  CHECK_FALSE(backoff.next_delay().has_value());
  backoff.reset();
  CHECK(backoff.attempts() == 0);
  CHECK(backoff.next_delay() == milliseconds(100));
}

TEST_CASE("RestartingServer: the default policy never waits long for a server that is back") {
  const BackoffPolicy policy;
  CHECK(policy.max <= milliseconds(5000));
  // The largest jitter each time: after 10 s or more of failed tries the next
  // one is still at most max plus its jitter away, not 15 s or more.
  Backoff backoff(policy, [] { return 0.999999; });
  milliseconds down{0};
  while (down < milliseconds(10'000)) down += *backoff.next_delay();
  const auto next = backoff.next_delay();
  REQUIRE(next.has_value());
  CHECK(*next <= milliseconds(6000));
  CHECK(*next >= milliseconds(5000));
  // And the lowest jitter still leaves some spread below the cap.
  Backoff low(policy, [] { return 0.0; });
  for (int i = 0; i < 10; ++i) low.next_delay();
  CHECK(low.next_delay() == milliseconds(4000));
}
