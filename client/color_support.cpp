#include "client/color_support.hpp"

#include <unistd.h>

#include <cstdlib>

// Last: term.h defines macros with everyday names (lines, columns, ...).
#include <curses.h>
#include <term.h>

namespace chat::client {
namespace {

std::string environment_variable(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The "colors" capability of `term`, or nullopt when terminfo has no entry.
std::optional<int> terminfo_colors(const std::string& term) {
  if (term.empty()) return std::nullopt;
  int error = 0;
  // With an error pointer, setupterm() reports instead of exiting. The entry
  // is only read here and freed at once; readline sets up its own later.
  if (setupterm(term.c_str(), STDOUT_FILENO, &error) != OK) {
    // 1: a hardcopy terminal, which has an entry and no colours.
    return error == 1 ? std::optional<int>(0) : std::nullopt;
  }
  const int colors = tigetnum(const_cast<char*>("colors"));
  del_curterm(cur_term);
  return colors > 0 ? colors : 0;
}

}  // namespace

bool wants_color(ColorMode mode, const ColorEnvironment& environment) {
  if (mode != ColorMode::Auto) return mode == ColorMode::Always;
  if (!environment.to_terminal || !environment.no_color.empty()) return false;
  if (environment.term.empty() || environment.term == "dumb") return false;
  if (environment.term_colors) return *environment.term_colors >= kMinimumColors;
  return environment.term.find("color") != std::string::npos;
}

ColorEnvironment current_color_environment(bool terminal) {
  ColorEnvironment environment;
  environment.to_terminal = terminal;
  environment.no_color = environment_variable("NO_COLOR");
  environment.term = environment_variable("TERM");
  // Only worth a look at the database when it decides anything.
  if (terminal && environment.no_color.empty()) environment.term_colors = terminfo_colors(environment.term);
  return environment;
}

}  // namespace chat::client
