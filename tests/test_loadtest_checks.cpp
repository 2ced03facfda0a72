#include <doctest/doctest.h>

#include "loadtest/room_tally.hpp"
#include "loadtest/room_tracker.hpp"
#include "loadtest/run_stats.hpp"

using chat::loadtest::RoomTally;
using chat::loadtest::RoomTracker;
using chat::loadtest::RunStats;
using Arrival = RoomTracker::Arrival;

TEST_CASE("in-order delivery after the join seq is clean") {
  RoomTracker t(10);
  for (std::uint64_t s = 11; s <= 20; ++s) CHECK(t.on_message(s) == Arrival::InOrder);
  CHECK(t.unique() == 10);
  CHECK(t.duplicates() == 0);
  CHECK(t.out_of_order() == 0);
  CHECK(t.gaps() == 0);
  CHECK(t.missing_through(20) == 0);
  CHECK(t.missing_through(25) == 5);
}

TEST_CASE("a repeated seq is a duplicate, and so is one from before the join") {
  RoomTracker t(3);
  t.on_message(4);
  t.on_message(5);
  CHECK(t.on_message(5) == Arrival::Duplicate);
  CHECK(t.on_message(4) == Arrival::Duplicate);
  CHECK(t.on_message(3) == Arrival::Duplicate);
  CHECK(t.on_message(1) == Arrival::Duplicate);
  CHECK(t.unique() == 2);
  CHECK(t.duplicates() == 4);
  CHECK(t.out_of_order() == 0);
}

TEST_CASE("a skipped seq is missing until it arrives late") {
  RoomTracker t;
  t.on_message(1);
  CHECK(t.on_message(4) == Arrival::Early);
  CHECK(t.gaps() == 2);
  CHECK(t.missing_through(4) == 2);
  CHECK(t.on_message(3) == Arrival::Late);
  CHECK(t.gaps() == 1);
  CHECK(t.out_of_order() == 1);
  CHECK(t.on_message(3) == Arrival::Duplicate);
  CHECK(t.on_message(2) == Arrival::Late);
  CHECK(t.gaps() == 0);
  CHECK(t.out_of_order() == 2);
  CHECK(t.unique() == 4);
  CHECK(t.missing_through(4) == 0);
}

TEST_CASE("late arrivals split a gap in the middle") {
  RoomTracker t;
  t.on_message(10);  // 1..9 missing
  CHECK(t.on_message(5) == Arrival::Late);
  CHECK(t.on_message(1) == Arrival::Late);
  CHECK(t.on_message(9) == Arrival::Late);
  CHECK(t.on_message(5) == Arrival::Duplicate);
  CHECK(t.gaps() == 6);
  CHECK(t.missing_through(12) == 8);
}

TEST_CASE("tally: loss and expectation against the room's final seq") {
  RoomTracker complete(0), partial(0), late_joiner(5);
  for (std::uint64_t s = 1; s <= 10; ++s) complete.on_message(s);
  for (std::uint64_t s : {1, 2, 4, 5, 6}) partial.on_message(s);  // 3 missing, 7..10 never came
  for (std::uint64_t s = 6; s <= 10; ++s) late_joiner.on_message(s);
  late_joiner.on_message(7);

  RoomTally tally;
  tally.add(complete);
  tally.add(partial);
  tally.add(late_joiner);
  tally.note_acked(8);
  CHECK(tally.final_seq() == 10);  // a receiver saw more than was acknowledged
  CHECK(tally.expected() == 10 + 10 + 5);
  CHECK(tally.lost() == 1 + 4);
  CHECK(tally.unique == 10 + 5 + 5);
  CHECK(tally.expected() - tally.lost() == tally.unique);
  CHECK(tally.duplicates == 1);

  RoomTally none;
  none.note_acked(12);  // acknowledged beyond what anyone saw: everyone lost 11 and 12
  tally.merge(none);
  CHECK(tally.final_seq() == 12);
  CHECK(tally.lost() == 5 + 3 * 2);
}

TEST_CASE("run stats merge counters, histograms, errors and rooms; JSON round trip") {
  RunStats a, b;
  a.sent = 5;
  a.connect_phase_us = 100;
  a.latency_us.record(42);
  a.count_error("rate_limited");
  a.rooms.resize(1);
  a.rooms[0].receivers = 2;
  a.rooms[0].max_acked_seq = 4;
  b.sent = 7;
  b.connect_phase_us = 250;
  b.latency_us.record(4200);
  b.count_error("rate_limited");
  b.count_error("overloaded");
  a.connect_errors["overloaded"] = 2;
  b.connect_errors["overloaded"] = 3;
  b.connect_errors["timeout"] = 1;
  b.rooms.resize(2);
  b.rooms[1].receivers = 3;

  a.merge(b);
  CHECK(a.sent == 12);
  CHECK(a.connect_phase_us == 250);  // parallel phases: the longest
  CHECK(a.latency_us.count() == 2);
  CHECK(a.errors.at("rate_limited") == 2);
  CHECK(a.errors.at("overloaded") == 1);
  CHECK(a.connect_errors.at("overloaded") == 5);
  CHECK(a.connect_errors.at("timeout") == 1);
  REQUIRE(a.rooms.size() == 2);
  CHECK(a.rooms[1].receivers == 3);
  CHECK(a.expected() == 8);

  const nlohmann::json json = a;
  const auto copy = json.get<RunStats>();
  CHECK(copy.sent == 12);
  CHECK(copy.errors == a.errors);
  CHECK(copy.connect_errors == a.connect_errors);
  CHECK(copy.rooms == a.rooms);
  CHECK(copy.latency_us.max() == 4200);
}
