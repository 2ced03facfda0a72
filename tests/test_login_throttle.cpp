// LoginThrottle and LoginGate: failed log-ins lock an account or an address for a time that grows with each
// further failure; one address cannot queue more than its share of password hashes.
#include <doctest/doctest.h>

#include <string>

#include "common/protocol_error.hpp"
#include "server/auth/login_gate.hpp"
#include "server/auth/login_throttle.hpp"

using chat::LoginGate;
using chat::LoginThrottle;
using namespace std::chrono_literals;

namespace {

LoginThrottle::Options options() {
  LoginThrottle::Options o;
  o.account_failures = 3;
  o.address_failures = 5;
  o.lockout = 1000ms;
  o.lockout_max = 8000ms;
  o.window = 60s;
  o.max_entries = 1000;
  return o;
}

const auto t0 = LoginThrottle::Clock::time_point{} + 1000h;

}  // namespace

TEST_CASE("PasswordGuessing: an account is locked after its allowance, for longer after each further failure") {
  LoginThrottle throttle(options());
  for (int i = 0; i < 2; ++i) throttle.record_failure("alice", "10.0.0.1", t0);
  CHECK(throttle.retry_after("alice", "10.0.0.2", t0) == 0ms);  // within the allowance
  throttle.record_failure("alice", "10.0.0.2", t0);               // the third: from any address
  CHECK(throttle.retry_after("alice", "10.0.0.3", t0) == 1000ms);
  CHECK(throttle.retry_after("bob", "10.0.0.3", t0) == 0ms);      // other accounts are not affected
  CHECK(throttle.retry_after("alice", "10.0.0.3", t0 + 400ms) == 600ms);
  CHECK(throttle.retry_after("alice", "10.0.0.3", t0 + 1000ms) == 0ms);
  // Each further failure doubles the lockout, up to its maximum.
  throttle.record_failure("alice", "10.0.0.4", t0 + 1s);
  CHECK(throttle.retry_after("alice", "10.0.0.5", t0 + 1s) == 2000ms);
  throttle.record_failure("alice", "10.0.0.4", t0 + 3s);
  CHECK(throttle.retry_after("alice", "10.0.0.5", t0 + 3s) == 4000ms);
  for (int i = 0; i < 10; ++i) throttle.record_failure("alice", "10.0.0.4", t0 + 7s);
  CHECK(throttle.retry_after("alice", "10.0.0.5", t0 + 7s) == 8000ms);
}

TEST_CASE("PasswordGuessing: an address is locked after its allowance, whichever names it tries") {
  LoginThrottle throttle(options());
  for (int i = 0; i < 4; ++i) throttle.record_failure("name" + std::to_string(i), "10.0.0.9", t0);
  CHECK(throttle.retry_after("other", "10.0.0.9", t0) == 0ms);
  throttle.record_failure("name4", "10.0.0.9", t0);
  CHECK(throttle.retry_after("other", "10.0.0.9", t0) == 1000ms);
  CHECK(throttle.retry_after("other", "10.0.0.10", t0) == 0ms);
}

TEST_CASE("failures older than the window are forgotten; a success forgets the account's, not the address's") {
  LoginThrottle throttle(options());
  for (int i = 0; i < 2; ++i) throttle.record_failure("alice", "10.0.0.1", t0);
  throttle.record_failure("alice", "10.0.0.1", t0 + 61s);  // the window passed: the first of a new count
  CHECK(throttle.retry_after("alice", "10.0.0.2", t0 + 61s) == 0ms);

  for (int i = 0; i < 2; ++i) throttle.record_failure("bob", "10.0.0.7", t0);
  throttle.record_success("bob");
  throttle.record_failure("bob", "10.0.0.7", t0);
  CHECK(throttle.retry_after("bob", "10.0.0.8", t0) == 0ms);  // one failure since the success
  throttle.record_failure("bob", "10.0.0.7", t0);
  CHECK(throttle.retry_after("carol", "10.0.0.7", t0) == 0ms);  // the address's fourth failure
  throttle.record_failure("bob", "10.0.0.7", t0);
  CHECK(throttle.retry_after("carol", "10.0.0.7", t0) == 1000ms);  // its fifth
}

TEST_CASE("a full table forgets what is neither locked nor recent, and tracks no more than it may") {
  auto o = options();
  o.max_entries = 1000;
  LoginThrottle throttle(o);
  for (int i = 0; i < 1000; ++i) throttle.record_failure("n" + std::to_string(i), "10.0.0.1", t0);
  CHECK(throttle.tracked() == 1001);  // 1000 accounts and one address
  // Full of recent failures, none locked: they make way for a new one.
  throttle.record_failure("fresh", "10.0.0.1", t0 + 2s);
  CHECK(throttle.tracked() <= 1001);
  for (int i = 0; i < 2; ++i) throttle.record_failure("fresh", "10.0.0.2", t0 + 2s);
  CHECK(throttle.retry_after("fresh", "10.0.0.3", t0 + 2s) == 1000ms);
}

TEST_CASE("HashQueueFlood: the gate holds at most its share of hashes per address and refuses locked ones") {
  LoginGate::Options o;
  o.throttle = options();
  o.hashes_per_address = 2;
  LoginGate gate(o);
  auto first = gate.admit("10.0.0.1", "alice");
  auto second = gate.admit("10.0.0.1", "bob");
  try {
    gate.admit("10.0.0.1", "carol");
    FAIL("a third hash admitted from one address");
  } catch (const chat::ProtocolError& e) {
    CHECK(e.code() == chat::ErrorCode::RateLimited);
    CHECK_FALSE(e.retry_after().has_value());
  }
  auto other = gate.admit("10.0.0.2", "carol");  // another address has its own share
  first.reset();                                  // a request handled: its place is free
  auto third = gate.admit("10.0.0.1", "carol");
  CHECK(gate.stats().busy == 1);

  for (int i = 0; i < 3; ++i) gate.failed("dave", "10.0.0.3");
  try {
    gate.admit("10.0.0.4", "dave");
    FAIL("a locked account admitted");
  } catch (const chat::ProtocolError& e) {
    CHECK(e.code() == chat::ErrorCode::RateLimited);
    REQUIRE(e.retry_after().has_value());
    CHECK(*e.retry_after() > 0ms);
    CHECK(*e.retry_after() <= 1000ms);
  }
  CHECK_THROWS_AS(gate.check("10.0.0.4", "dave"), chat::ProtocolError);
  CHECK(gate.stats().failures == 3);
  CHECK(gate.stats().throttled == 2);
}
