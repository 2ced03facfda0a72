#include <doctest/doctest.h>

#include "client/resume_state.hpp"

using namespace chat::client;

TEST_CASE("after a join, only newer seqs are shown and each only once") {
  ResumeState state;
  state.joining("general");
  state.joined("general", 41);
  CHECK_FALSE(state.accept_message("general", 41));
  CHECK(state.accept_message("general", 42));
  CHECK_FALSE(state.accept_message("general", 42));
  CHECK(state.accept_message("general", 43));
  CHECK(state.since("general") == 43);
}

TEST_CASE("a replay that comes before the join reply is de-duplicated too") {
  ResumeState state;
  state.joining("general");
  state.joined("general", 10);
  CHECK(state.accept_message("general", 11));
  // Reconnect: rejoin with since=11; the server replays 12..14 before the reply.
  const auto plan = state.rejoin_plan();
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].room == "general");
  CHECK(plan[0].since == 11);
  CHECK(state.accept_message("general", 11) == false);  // an overlap is dropped
  CHECK(state.accept_message("general", 12));
  CHECK(state.accept_message("general", 13));
  CHECK(state.accept_message("general", 14));
  state.joined("general", 14);
  CHECK_FALSE(state.accept_message("general", 14));
  CHECK(state.since("general") == 14);
}

TEST_CASE("a join reply never moves the cursor backwards") {
  ResumeState state;
  state.joining("dev");
  CHECK(state.accept_message("dev", 5));
  state.joined("dev", 3);
  CHECK(state.since("dev") == 5);
}

TEST_CASE("only confirmed rooms are rejoined; refused and left rooms are forgotten") {
  ResumeState state;
  state.joining("a");
  state.joining("b");
  state.joined("a", 0);
  CHECK(state.is_joined("a"));
  CHECK_FALSE(state.is_joined("b"));
  CHECK(state.rejoin_plan().size() == 1);
  state.join_failed("b");
  CHECK_FALSE(state.since("b").has_value());
  // A refused re-join of a room we are in keeps it.
  state.join_failed("a");
  CHECK(state.is_joined("a"));
  state.left("a");
  CHECK(state.rejoin_plan().empty());
  CHECK(state.joined_rooms().empty());
}

TEST_CASE("messages of untracked rooms are shown; direct messages once each") {
  ResumeState state;
  CHECK(state.accept_message("elsewhere", 1));
  CHECK(state.accept_message("elsewhere", 1));
  CHECK(state.accept_dm(7));
  CHECK_FALSE(state.accept_dm(7));
  CHECK(state.accept_dm(8));
}

TEST_CASE("the memory of direct messages shown is bounded, and keeps the newest") {
  ResumeState state;
  const auto limit = static_cast<std::int64_t>(ResumeState::kMaxRememberedDms);
  for (std::int64_t id = 1; id <= 3 * limit; ++id) REQUIRE(state.accept_dm(id));
  CHECK(state.remembered_dms() == ResumeState::kMaxRememberedDms);
  CHECK_FALSE(state.accept_dm(3 * limit));      // the newest: still a duplicate
  CHECK_FALSE(state.accept_dm(2 * limit + 1));  // the oldest remembered
  CHECK_FALSE(state.accept_dm(5));              // long forgotten: taken as shown
  CHECK(state.accept_dm(3 * limit + 1));
  CHECK(state.remembered_dms() == ResumeState::kMaxRememberedDms);
}
