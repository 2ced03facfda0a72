// Flags and the config file, parsed as chat-client parses them.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "client/client_config.hpp"
#include "client/config_file_format.hpp"
#include "client/exit_status.hpp"

using namespace chat::client;
namespace fs = std::filesystem;

namespace {

// A private directory that is XDG_CONFIG_HOME while it lives.
class ConfigHome {
 public:
  ConfigHome() {
    std::string pattern = (fs::temp_directory_path() / "chat-client-config-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()));
    dir_ = pattern;
    ::setenv("XDG_CONFIG_HOME", dir_.c_str(), 1);
  }
  ~ConfigHome() {
    ::unsetenv("XDG_CONFIG_HOME");
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  fs::path write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

 private:
  fs::path dir_;
};

std::variant<ClientConfig, int> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "chat-client");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("the config file sets any long flag; the command line wins") {
  ConfigHome home;
  const auto file = home.write("c.toml",
                               "# chat-client settings\n"
                               "host = \"chat.example.org\"\n"
                               "port = 7000\n"
                               "user = \"Alice\"  # shown in lowercase\n"
                               "password-file = \"/home/a#1/pw\"\n"
                               "join = [\"#General\", \"dev\"]  # '#' in a quoted name is the name's\n"
                               "color = \"never\"\n"
                               "timeout = 5\n");
  const auto parsed = parse({"--config", file.string(), "--port", "7001"});
  REQUIRE(std::holds_alternative<ClientConfig>(parsed));
  const auto& config = std::get<ClientConfig>(parsed);
  CHECK(config.host == "chat.example.org");
  CHECK(config.port == 7001);
  CHECK(config.user == "alice");
  CHECK(config.password_file == "/home/a#1/pw");
  CHECK(config.join == std::vector<std::string>{"general", "dev"});
  CHECK(config.color == ColorMode::Never);
  CHECK(config.timeout_seconds == 5);
}

TEST_CASE("without --config, the file under XDG_CONFIG_HOME is read if there is one") {
  ConfigHome home;
  SUBCASE("none") {
    const auto parsed = parse({});
    REQUIRE(std::holds_alternative<ClientConfig>(parsed));
    CHECK(std::get<ClientConfig>(parsed).port == 7777);
  }
  SUBCASE("one") {
    home.write("chat-client/config.toml", "port = 7002\nguest = true\nuser = \"visitor\"\n");
    const auto parsed = parse({});
    REQUIRE(std::holds_alternative<ClientConfig>(parsed));
    CHECK(std::get<ClientConfig>(parsed).port == 7002);
    CHECK(std::get<ClientConfig>(parsed).guest);
  }
}

TEST_CASE("a bad config file is exit status 2") {
  ConfigHome home;
  CHECK(std::get<int>(parse({"--config", (fs::temp_directory_path() / "no-such-chat-config.toml").string()})) ==
        kExitUsage);
  CHECK(std::get<int>(parse({"--config", home.write("typo.toml", "pasword-file = \"pw\"\n").string()})) == kExitUsage);
  CHECK(std::get<int>(parse({"--config", home.write("type.toml", "port = \"many\"\n").string()})) == kExitUsage);
  CHECK(std::get<int>(parse({"--config", home.write("room.toml", "join = [\"no spaces\"]\n").string()})) ==
        kExitUsage);
}

TEST_CASE("a comment starts at a '#' outside quotes") {
  CHECK(strip_comment("port = 1 # one") == "port = 1");
  CHECK(strip_comment("# all comment") == "");
  CHECK(strip_comment("join = [\"#a\", '#b'] # c") == "join = [\"#a\", '#b']");
  CHECK(strip_comment("user = \"say \\\"#hi\\\"\" # c") == "user = \"say \\\"#hi\\\"\"");
  CHECK(strip_comment("path = 'C:\\dir#1' # c") == "path = 'C:\\dir#1'");
}
