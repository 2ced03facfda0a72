#include <doctest/doctest.h>

#include "client/mention.hpp"

using chat::client::mentions;

TEST_CASE("a mention is the name as a word of its own, in any case") {
  CHECK(mentions("hi alice", "alice"));
  CHECK(mentions("ALICE: look", "alice"));
  CHECK(mentions("thanks, Alice.", "alice"));
  CHECK(mentions("@alice!", "alice"));
  CHECK(mentions("alice", "alice"));
  CHECK_FALSE(mentions("malice aforethought", "alice"));
  CHECK_FALSE(mentions("alice_bot says hi", "alice"));
  CHECK_FALSE(mentions("alice-2 is here", "alice"));
  CHECK_FALSE(mentions("alice.b is another name", "alice"));
  CHECK_FALSE(mentions("ali", "alice"));
  CHECK_FALSE(mentions("anything", ""));
}
