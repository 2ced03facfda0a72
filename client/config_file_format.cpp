#include "client/config_file_format.hpp"

#include <sstream>

namespace chat::client {

ConfigFileFormat::ConfigFileFormat() {
  // Comments are gone before CLI11 sees a line; a NUL never occurs in text.
  comment('\0');
}

std::string strip_comment(std::string_view line) {
  char quote = 0;  // the quote of the string we are in: '"' (with escapes) or '\'' (literal)
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote == '"' && c == '\\') {
      ++i;  // an escaped character, '"' included
    } else if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      line = line.substr(0, i);
      break;
    }
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
  return std::string(line);
}

std::vector<CLI::ConfigItem> ConfigFileFormat::from_config(std::istream& input) const {
  std::stringstream cleaned;
  for (std::string line; std::getline(input, line);) cleaned << strip_comment(line) << '\n';
  return CLI::ConfigTOML::from_config(cleaned);
}

}  // namespace chat::client
