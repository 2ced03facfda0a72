#include <doctest/doctest.h>

#include "client/completer.hpp"

using namespace chat::client;
using Names = std::vector<std::string>;

namespace {

KnownNames names() {
  KnownNames known;
  known.add_room("general");
  known.add_room("games");
  known.add_room("dev");
  known.add_user("alice");
  known.add_user("albert");
  known.add_user("bob");
  return known;
}

}  // namespace

TEST_CASE("a leading slash completes command names, without script-only ones") {
  CHECK(completions("", "/jo", names()) == Names{"/join"});
  CHECK(completions("", "/s", names()) == Names{"/switch"});
  CHECK(completions("", "/un", names()) == Names{"/unban", "/unmod"});
  CHECK(completions("", "/w", names()) == Names{"/who", "/whois", "/window"});
}

TEST_CASE("room slots and words starting with '#' complete rooms") {
  CHECK(completions("/join ", "g", names()) == Names{"#games", "#general"});
  CHECK(completions("/switch ", "#d", names()) == Names{"#dev"});
  CHECK(completions("/kick bob ", "#ge", names()) == Names{"#general"});
  CHECK(completions("see ", "#GA", names()) == Names{"#games"});
}

TEST_CASE("user slots and plain text complete user names") {
  CHECK(completions("/msg ", "al", names()) == Names{"albert", "alice"});
  CHECK(completions("/kick ", "b", names()) == Names{"bob"});
  CHECK(completions("thanks ", "Ali", names()) == Names{"alice"});
  CHECK(completions("/help ", "jo", names()) == Names{"join"});
  CHECK(completions("/help ", "pa", names()) == Names{"part"});
  CHECK(completions("/help ", "cl", names()) == Names{"clear"});
  CHECK(completions("/help ", "sl", names()).empty());  // /sleep is for scripts
  CHECK(completions("/msg ", "zed", names()).empty());
}

TEST_CASE("a nick at the start of a line completes to 'nick:', from the room shown") {
  auto known = names();
  // Nobody seen in a room yet: any user the client knows.
  CHECK(completions("", "bo", known) == Names{"bob:"});
  CHECK(completions("", "AL", known, "general") == Names{"albert:", "alice:"});
  known.add_member("general", "alice");
  known.add_member("dev", "albert");
  CHECK(completions("", "al", known, "general") == Names{"alice:"});
  CHECK(completions("", "al", known, "dev") == Names{"albert:"});
  // Later in the line a nick stays a plain word, from every user known.
  CHECK(completions("thanks ", "al", known, "general") == Names{"albert", "alice"});
  CHECK(completions("", "#ge", known, "general") == Names{"#general"});
}
