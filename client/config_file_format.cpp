#include "client/config_file_format.hpp"

#include <sstream>

namespace chat::client {

ConfigFileFormat::ConfigFileFormat(std::function<bool(const std::string&)> is_key) : is_key_(std::move(is_key)) {
  // Comments are gone before CLI11 sees a line; a NUL never occurs in text.
  comment('\0');
}

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::string_view unquoted(std::string_view text) {
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') && text.back() == text.front()) {
    return text.substr(1, text.size() - 2);
  }
  return text;
}

}  // namespace

std::string key_of(std::string_view line, std::string_view section) {
  line = trimmed(line);
  const auto equals = line.find('=');
  if (line.empty() || line.front() == '[' || equals == std::string_view::npos) return {};
  const auto key = unquoted(trimmed(line.substr(0, equals)));
  // A line of a multi-line array or string holds no key of its own.
  if (key.empty() || key.find_first_of("\"'[],") != std::string_view::npos) return {};
  return section.empty() ? std::string(key) : std::string(section) + "." + std::string(key);
}

int ConfigFileFormat::line_of(const std::string& key) const {
  const auto found = lines_.find(key);
  return found == lines_.end() ? 0 : found->second;
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
  lines_.clear();
  std::stringstream cleaned;
  std::string section;
  int number = 0;
  for (std::string line; std::getline(input, line);) {
    ++number;
    const auto text = strip_comment(line);
    const auto content = trimmed(text);
    if (!content.empty() && content.front() == '[' && content.back() == ']' && content.find('=') == std::string_view::npos) {
      section = std::string(unquoted(trimmed(content.substr(1, content.size() - 2))));
    } else if (const auto key = key_of(text, section); !key.empty()) {
      if (!is_key_(key)) throw CLI::ConfigError("line " + std::to_string(number) + ": unknown key '" + key + "'");
      lines_.emplace(key, number);
    }
    cleaned << text << '\n';
  }
  return CLI::ConfigTOML::from_config(cleaned);
}

}  // namespace chat::client
