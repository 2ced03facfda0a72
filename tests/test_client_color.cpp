// When chat-client colours its output: the rules on their own, then the real
// binary on a pseudo-terminal.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include "client/color_support.hpp"
#include "tests/client/client_process.hpp"
#include "tests/client/pty_process.hpp"

using namespace chat::client;
using namespace chat::test;

namespace {

ColorEnvironment colour_terminal() { return {true, "", "xterm-256color", 256}; }

// The client's first note, as painted; the client then fails to connect
// (nothing listens) and exits 3.
constexpr std::string_view kPaintedNote = "\x1b[33m-- type /help";
constexpr std::string_view kNote = "-- type /help";

std::string terminal_output(std::vector<std::string> flags, const PtyProcess::Environment& env) {
  std::vector<std::string> args{"--port", std::to_string(free_port())};
  args.insert(args.end(), flags.begin(), flags.end());
  PtyProcess client(args, env);
  const auto status = client.wait();
  const auto output = client.output();
  INFO("terminal:\n" << output);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 3);
  REQUIRE(output.find(kNote) != std::string::npos);
  return output;
}

bool painted(const std::string& output) {
  return output.find(kPaintedNote) != std::string::npos || output.find("\x1b[1;31m") != std::string::npos;
}

}  // namespace

TEST_CASE("auto colours a colour terminal only") {
  CHECK(wants_color(ColorMode::Auto, colour_terminal()));
  auto environment = colour_terminal();
  environment.to_terminal = false;
  CHECK_FALSE(wants_color(ColorMode::Auto, environment));
}

TEST_CASE("NO_COLOR set to anything turns colours off; set but empty it does not") {
  auto environment = colour_terminal();
  environment.no_color = "1";
  CHECK_FALSE(wants_color(ColorMode::Auto, environment));
  environment.no_color = "0";
  CHECK_FALSE(wants_color(ColorMode::Auto, environment));
  environment.no_color = "";
  CHECK(wants_color(ColorMode::Auto, environment));
}

TEST_CASE("a terminal without enough colours gets none") {
  CHECK_FALSE(wants_color(ColorMode::Auto, {true, "", "vt100", 0}));
  CHECK_FALSE(wants_color(ColorMode::Auto, {true, "", "xterm-mono", 0}));
  CHECK_FALSE(wants_color(ColorMode::Auto, {true, "", "dumb", std::nullopt}));
  CHECK_FALSE(wants_color(ColorMode::Auto, {true, "", "", std::nullopt}));
  CHECK(wants_color(ColorMode::Auto, {true, "", "xterm", 8}));
  // Unknown to terminfo: the name decides.
  CHECK(wants_color(ColorMode::Auto, {true, "", "frobterm-256color", std::nullopt}));
  CHECK_FALSE(wants_color(ColorMode::Auto, {true, "", "frobterm", std::nullopt}));
}

TEST_CASE("--color always and never win over everything") {
  CHECK(wants_color(ColorMode::Always, {false, "1", "dumb", 0}));
  CHECK_FALSE(wants_color(ColorMode::Never, colour_terminal()));
}

TEST_CASE("the real client on a terminal: colours unless NO_COLOR or the terminal says otherwise") {
  SUBCASE("a colour terminal") {
    CHECK(painted(terminal_output({}, {{"TERM", "xterm-256color"}, {"NO_COLOR", std::nullopt}})));
  }
  SUBCASE("NO_COLOR") {
    CHECK_FALSE(painted(terminal_output({}, {{"TERM", "xterm-256color"}, {"NO_COLOR", "1"}})));
  }
  SUBCASE("NO_COLOR empty counts as unset") {
    CHECK(painted(terminal_output({}, {{"TERM", "xterm-256color"}, {"NO_COLOR", ""}})));
  }
  SUBCASE("a terminal without colours, per terminfo") {
    CHECK_FALSE(painted(terminal_output({}, {{"TERM", "vt100"}, {"NO_COLOR", std::nullopt}})));
  }
  SUBCASE("--color always beats NO_COLOR") {
    CHECK(painted(terminal_output({"--color", "always"}, {{"TERM", "xterm-256color"}, {"NO_COLOR", "1"}})));
  }
  SUBCASE("--color=never on a colour terminal") {
    CHECK_FALSE(painted(terminal_output({"--color=never"}, {{"TERM", "xterm-256color"}, {"NO_COLOR", std::nullopt}})));
  }
}
