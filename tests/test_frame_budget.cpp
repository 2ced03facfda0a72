#include <doctest/doctest.h>

#include "server/messaging/frame_budget.hpp"

using chat::FrameBudget;

TEST_CASE("frames are taken while they fit; the first that does not ends the answer") {
  FrameBudget budget(100);
  CHECK(budget.take(60));
  CHECK(budget.take(40));
  CHECK_FALSE(budget.exhausted());
  CHECK_FALSE(budget.take(1));
  CHECK(budget.exhausted());
  CHECK_FALSE(budget.take(0));  // nothing after a refusal: what is sent stays one contiguous run
  CHECK(budget.taken() == 2);
}

TEST_CASE("a smaller frame after a refused one is refused too") {
  FrameBudget budget(50);
  CHECK_FALSE(budget.take(60));
  CHECK_FALSE(budget.take(10));
  CHECK(budget.taken() == 0);
}

TEST_CASE("min_frames are taken whatever their size, so paging always moves on") {
  FrameBudget none(0, 1);
  CHECK(none.take(1000));
  CHECK_FALSE(none.take(1));
  FrameBudget some(10, 2);
  CHECK(some.take(8));
  CHECK(some.take(8));  // over the budget, but within min_frames
  CHECK_FALSE(some.take(1));
}
