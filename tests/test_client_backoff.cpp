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
