#pragma once

#include <functional>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace chat::client {

// The config file's TOML as CLI11 reads it, with comments done right: CLI11
// 2.1 cuts a value at its first '#', quoted or not, so `join = ["#dev"]` or
// a password file under a directory with '#' in its name would break. Here
// a '#' starts a comment only outside quotes.
//
// It also knows where each key is: a key that names no flag is refused with
// its line ("line 3: unknown key 'hots'"), and line_of() tells the caller
// which line set a value that CLI11 then refuses, so that the message can
// name the key and its line rather than the flag.
class ConfigFileFormat final : public CLI::ConfigTOML {
 public:
  // is_key: whether the file may set this key (a long flag name).
  explicit ConfigFileFormat(std::function<bool(const std::string&)> is_key);
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

  // The line (from 1) of the key in the file last read, or 0 when it has none.
  int line_of(const std::string& key) const;

 private:
  std::function<bool(const std::string&)> is_key_;
  mutable std::map<std::string, int> lines_;  // filled by from_config, which CLI11 calls as const
};

// `line` without its comment, if any; quoted '#'s are kept.
std::string strip_comment(std::string_view line);

// The key a `key = value` line sets ("a.b" in section [a]), or "" when the
// line sets none (blank, a section header, the rest of a multi-line array).
std::string key_of(std::string_view line, std::string_view section);

}  // namespace chat::client
