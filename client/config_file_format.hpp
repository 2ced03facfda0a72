#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace chat::client {

// The config file's TOML as CLI11 reads it, with comments done right: CLI11
// 2.1 cuts a value at its first '#', quoted or not, so `join = ["#dev"]` or
// a password file under a directory with '#' in its name would break. Here
// a '#' starts a comment only outside quotes.
class ConfigFileFormat final : public CLI::ConfigTOML {
 public:
  ConfigFileFormat();
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// `line` without its comment, if any; quoted '#'s are kept.
std::string strip_comment(std::string_view line);

}  // namespace chat::client
