// NameProbes: answers that tell whether a name exists cost the asking address a token; an address without
// tokens is refused whatever the answer would be, until its bucket refills.
#include <doctest/doctest.h>

#include <string>

#include "server/auth/name_probes.hpp"
#include "server/net/token_bucket.hpp"

using chat::NameProbes;
using chat::TokenBucket;
using namespace std::chrono_literals;

namespace {
const auto t0 = NameProbes::Clock::time_point{} + 1000h;
}  // namespace

TEST_CASE("a token bucket tells how long until its next token, and when it is full again") {
  TokenBucket bucket(2.0, 2.0, t0);  // two a second
  CHECK(bucket.full(t0));
  CHECK(bucket.wait(t0) == TokenBucket::Clock::duration::zero());
  CHECK(bucket.try_take(t0));
  CHECK(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0));
  CHECK(bucket.wait(t0) == 500ms);
  CHECK(bucket.wait(t0 + 200ms) == 300ms);
  CHECK_FALSE(bucket.full(t0 + 999ms));
  CHECK(bucket.full(t0 + 1s));
  CHECK(TokenBucket(0, 1, t0).wait(t0) == TokenBucket::Clock::duration::zero());  // rate 0: no limit
}

TEST_CASE("AccountEnumeration: an address that spent its probes is refused until one refills") {
  NameProbes probes(NameProbes::Options{60, 3, 1000});  // one a second, three at once
  for (int i = 0; i < 3; ++i) {
    CHECK(probes.retry_after("10.0.0.1", t0) == 0ms);
    probes.charge("10.0.0.1", t0);
  }
  CHECK(probes.retry_after("10.0.0.1", t0) == 1000ms);
  CHECK(probes.retry_after("10.0.0.2", t0) == 0ms);  // another address has its own bucket
  CHECK(probes.retry_after("10.0.0.1", t0 + 250ms) == 750ms);
  CHECK(probes.retry_after("10.0.0.1", t0 + 1s) == 0ms);
  CHECK(probes.refused() == 2);
}

TEST_CASE("a full table of addresses forgets the buckets that refilled") {
  NameProbes probes(NameProbes::Options{60, 1, 1000});
  for (int i = 0; i < 1000; ++i) probes.charge("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), t0);
  probes.charge("10.9.9.9", t0);  // full, nothing refilled: not tracked
  CHECK(probes.retry_after("10.9.9.9", t0) == 0ms);
  probes.charge("10.9.9.9", t0 + 2s);  // every bucket refilled and is forgotten: tracked now
  CHECK(probes.retry_after("10.9.9.9", t0 + 2s) == 1000ms);
}
