// CatchUp on its own: the order in which a resumed room's messages are
// shown, whatever mix of replay, history pages and live messages arrives.
#include <doctest/doctest.h>

#include "client/catch_up.hpp"
#include "client/resume_state.hpp"

using namespace chat::client;
using nlohmann::json;

namespace {

json msg(std::int64_t seq, bool replay = false) {
  json event{{"type", "msg"}, {"room", "r"}, {"seq", seq}, {"from", "bob"}, {"ts", 0},
             {"text", "m" + std::to_string(seq)}};
  if (replay) event["replay"] = true;
  return event;
}

json page(std::int64_t first, std::int64_t last) {
  json messages = json::array();
  for (auto seq = first; seq <= last; ++seq) {
    messages.push_back({{"seq", seq}, {"from", "bob"}, {"ts", 0}, {"text", "m" + std::to_string(seq)}});
  }
  return messages;
}

std::vector<std::int64_t> seqs(const CatchUp::Progress& progress) {
  std::vector<std::int64_t> result;
  for (const auto& event : progress.show) result.push_back(event["seq"].get<std::int64_t>());
  return result;
}

std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> result;
  for (auto seq = first; seq <= last; ++seq) result.push_back(seq);
  return result;
}

// A room joined and seen up to `seen`, now being rejoined.
struct Fixture {
  ResumeState resume;
  CatchUp catch_up;

  explicit Fixture(std::int64_t seen, HoldLimits limits = {}) : catch_up(resume, limits) {
    resume.joining("r");
    resume.joined("r", seen);
    catch_up.rejoining("r", seen);
  }
};

}  // namespace

TEST_CASE("a complete replay is held until the reply, then shown once each") {
  Fixture f(5);
  CHECK(f.catch_up.hold(msg(5, true)));  // an overlap with what was shown
  CHECK(f.catch_up.hold(msg(6, true)));
  CHECK(f.catch_up.hold(msg(7, true)));
  CHECK(f.resume.since("r") == 5);  // nothing shown yet
  const auto done = f.catch_up.joined("r", 7, std::nullopt);
  CHECK(seqs(done) == std::vector<std::int64_t>{6, 7});
  CHECK_FALSE(done.fetch);
  CHECK(done.done);
  CHECK(done.missed == 2);
  CHECK_FALSE(f.catch_up.active());
  CHECK_FALSE(f.catch_up.hold(msg(8)));  // live again: the caller shows it
  CHECK(f.catch_up.held_messages() == 0);
}

TEST_CASE("a truncated replay: the gap is fetched page by page first, then the replay, then live messages") {
  Fixture f(10);
  for (std::int64_t seq = 46; seq <= 50; ++seq) f.catch_up.hold(msg(seq, true));
  auto progress = f.catch_up.joined("r", 50, 46);
  CHECK(progress.show.empty());
  REQUIRE(progress.fetch);
  CHECK(progress.fetch->after == 10);
  CHECK(progress.fetch->before == 46);
  CHECK(progress.fetch->missing == 35);
  // Live messages arrive while the gap is fetched.
  CHECK(f.catch_up.hold(msg(51)));
  CHECK(f.catch_up.hold(msg(52)));

  progress = f.catch_up.page("r", page(11, 30));  // cut short by the server's budget
  CHECK(seqs(progress) == range(11, 30));
  REQUIRE(progress.fetch);
  CHECK(progress.fetch->after == 30);  // the last seq of the page
  CHECK(progress.fetch->before == 46);
  CHECK(progress.fetch->missing == 0);
  CHECK_FALSE(progress.done);
  CHECK(f.catch_up.hold(msg(53)));

  progress = f.catch_up.page("r", page(31, 45));
  CHECK(seqs(progress) == range(31, 53));
  CHECK_FALSE(progress.fetch);  // the gap is filled: no empty page needed
  CHECK(progress.done);
  CHECK(progress.missed == 40);
  CHECK(f.resume.since("r") == 53);
  CHECK(f.catch_up.held_messages() == 0);
}

TEST_CASE("an empty page ends the gap; entries outside it, repeated or malformed are not shown") {
  Fixture f(10);
  f.catch_up.hold(msg(20, true));
  auto progress = f.catch_up.joined("r", 20, 20);
  REQUIRE(progress.fetch);
  json odd = page(9, 12);  // 9 and 10 were asked not to come
  odd.push_back(page(12, 12)[0]);
  odd.push_back({{"seq", 13}, {"from", "bob"}});  // no text
  odd.push_back(page(25, 25)[0]);                   // past the gap
  progress = f.catch_up.page("r", odd);
  CHECK(seqs(progress) == std::vector<std::int64_t>{11, 12});
  REQUIRE(progress.ignored.size() == 1);
  CHECK(progress.ignored[0].find("\"text\"") != std::string::npos);
  REQUIRE(progress.fetch);
  CHECK(progress.fetch->after == 13);  // paging moves past the bad entry

  progress = f.catch_up.page("r", json::array());
  CHECK(seqs(progress) == std::vector<std::int64_t>{20});
  CHECK(progress.done);
}

TEST_CASE("past the hold limits nothing more is held; what was not kept is fetched after what was") {
  Fixture f(0, HoldLimits{3, 1 << 20});
  for (std::int64_t seq = 6; seq <= 10; ++seq) CHECK(f.catch_up.hold(msg(seq, true)));
  CHECK(f.catch_up.held_messages() == 3);
  auto progress = f.catch_up.joined("r", 10, 6);
  REQUIRE(progress.fetch);
  CHECK(progress.fetch->after == 0);
  CHECK(progress.fetch->before == 6);

  progress = f.catch_up.page("r", page(1, 5));
  CHECK(seqs(progress) == range(1, 8));  // the gap, then what was held
  REQUIRE(progress.fetch);              // then 9 and 10, which were not
  CHECK(progress.fetch->after == 8);
  CHECK(progress.fetch->before == 11);
  CHECK(progress.fetch->missing == 2);
  CHECK(f.catch_up.hold(msg(11)));  // there is room again

  progress = f.catch_up.page("r", page(9, 10));
  CHECK(seqs(progress) == range(9, 11));
  CHECK(progress.done);
  CHECK(progress.missed == 10);
}

TEST_CASE("the byte limit counts over all rooms; one message too many is fetched rather than held") {
  ResumeState resume;
  CatchUp catch_up(resume, HoldLimits{100, msg(1, true).dump().size() * 2});
  for (const auto* room : {"r", "s"}) {
    resume.joining(room);
    resume.joined(room, 0);
    catch_up.rejoining(room, 0);
  }
  auto in_s = msg(1, true);
  in_s["room"] = "s";
  CHECK(catch_up.hold(msg(1, true)));
  CHECK(catch_up.hold(in_s));
  CHECK(catch_up.hold(msg(2, true)));  // does not fit
  CHECK(catch_up.held_messages() == 2);
  auto progress = catch_up.joined("r", 2, std::nullopt);
  CHECK(seqs(progress) == std::vector<std::int64_t>{1});
  REQUIRE(progress.fetch);
  CHECK(progress.fetch->after == 1);
  CHECK(progress.fetch->before == 3);
}

TEST_CASE("giving up shows what was held; leaving or losing the connection drops it") {
  SUBCASE("a failed page") {
    Fixture f(0);
    f.catch_up.hold(msg(9, true));
    REQUIRE(f.catch_up.joined("r", 9, 9).fetch);
    const auto progress = f.catch_up.give_up("r");
    CHECK(seqs(progress) == std::vector<std::int64_t>{9});
    CHECK(progress.done);
    CHECK_FALSE(f.catch_up.active());
  }
  SUBCASE("the room was left") {
    Fixture f(0);
    f.catch_up.hold(msg(9, true));
    f.catch_up.forget("r");
    CHECK_FALSE(f.catch_up.active());
    CHECK(f.catch_up.held_messages() == 0);
    CHECK(f.catch_up.page("r", page(1, 8)).show.empty());  // a late page is ignored
  }
  SUBCASE("the connection was lost: the next rejoin starts from the last message shown") {
    Fixture f(4);
    f.catch_up.hold(msg(9, true));
    f.catch_up.connection_lost();
    CHECK_FALSE(f.catch_up.active());
    CHECK(f.catch_up.held_messages() == 0);
    CHECK(f.resume.since("r") == 4);
  }
}
