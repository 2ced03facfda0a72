#pragma once

#include <optional>
#include <string>

#include "client/client_config.hpp"

namespace chat::client {

// What decides whether the client colours its output.
struct ColorEnvironment {
  bool to_terminal = false;        // the output goes to a terminal
  std::string no_color;            // $NO_COLOR; "" when unset
  std::string term;                // $TERM; "" when unset
  std::optional<int> term_colors;  // terminfo's "colors" for $TERM; nullopt without an entry
};

// The minimum palette the formatter's colours need.
inline constexpr int kMinimumColors = 8;

// --color always and never are obeyed. auto colours only a terminal, unless
// NO_COLOR is set to anything (https://no-color.org) or the terminal has
// fewer than kMinimumColors colours: per terminfo, or, for a TERM terminfo
// does not know, unless the name says "color" (xterm-256color).
bool wants_color(ColorMode mode, const ColorEnvironment& environment);

// This process's environment, with `terminal` telling whether the output
// goes to a terminal; looks $TERM up in the terminfo database.
ColorEnvironment current_color_environment(bool terminal);

}  // namespace chat::client
