// Flags and the config file, parsed as chat-client parses them.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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

// What parse() writes to stderr, and its result.
struct Parsed {
  std::variant<ClientConfig, int> result;
  std::string err;
};

Parsed parse_capturing_stderr(std::vector<std::string> args) {
  std::fflush(stderr);
  FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(sink), STDERR_FILENO);
  auto result = parse(std::move(args));
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(sink);
  std::string err;
  char buffer[1024];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, sink)) > 0;) err.append(buffer, n);
  std::fclose(sink);
  return {std::move(result), std::move(err)};
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

TEST_CASE("bell and log-dir: flags and config keys; the bell is on by default") {
  ConfigHome home;
  const auto defaults = parse({});
  REQUIRE(std::holds_alternative<ClientConfig>(defaults));
  CHECK(std::get<ClientConfig>(defaults).bell);
  CHECK(std::get<ClientConfig>(defaults).log_dir.empty());
  const auto file = home.write("c.toml", "bell = false\nlog-dir = \"/home/alice/chatlogs\"\n");
  const auto parsed = parse({"--config", file.string()});
  REQUIRE(std::holds_alternative<ClientConfig>(parsed));
  CHECK_FALSE(std::get<ClientConfig>(parsed).bell);
  CHECK(std::get<ClientConfig>(parsed).log_dir == "/home/alice/chatlogs");
  const auto off = parse({"--bell", "off"});
  REQUIRE(std::holds_alternative<ClientConfig>(off));
  CHECK_FALSE(std::get<ClientConfig>(off).bell);
  const auto on = parse({"--config", file.string(), "--bell", "on"});
  REQUIRE(std::holds_alternative<ClientConfig>(on));
  CHECK(std::get<ClientConfig>(on).bell);
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

TEST_CASE("a typo in the config file names the file, the line and 'unknown key'") {
  ConfigHome home;
  const auto file = home.write("typo.toml", "host = \"chat.example.org\"\n# the port\nhots = \"x\"\n");
  const auto parsed = parse_capturing_stderr({"--config", file.string()});
  CHECK(std::get<int>(parsed.result) == kExitUsage);
  CHECK(parsed.err == "chat-client: " + file.string() +
                          ": line 3: unknown key 'hots' (the keys are the long flag names, see --help)\n");
  // A key under a section is no flag either.
  const auto section = home.write("section.toml", "[server]\nport = 1\n");
  CHECK(parse_capturing_stderr({"--config", section.string()}).err.find(": line 2: unknown key 'server.port'") !=
        std::string::npos);
}

TEST_CASE("a value of the wrong type in the config file names the key and its line, not the flag") {
  ConfigHome home;
  const auto file = home.write("type.toml", "user = \"alice\"\nport = \"many\"\n");
  auto parsed = parse_capturing_stderr({"--config", file.string()});
  CHECK(std::get<int>(parsed.result) == kExitUsage);
  CHECK(parsed.err.starts_with("chat-client: " + file.string() + ": line 2: port: "));
  CHECK(parsed.err.find("many") != std::string::npos);
  CHECK(parsed.err.find("--port") == std::string::npos);

  const auto flag = home.write("flag.toml", "guest = \"maybe\"\n");
  parsed = parse_capturing_stderr({"--config", flag.string()});
  CHECK(parsed.err.starts_with("chat-client: " + flag.string() + ": line 1: guest: "));

  // The command line wins, so its value is the one refused, and named as a flag.
  parsed = parse_capturing_stderr({"--config", file.string(), "--port", "seventy"});
  CHECK(std::get<int>(parsed.result) == kExitUsage);
  CHECK(parsed.err.find("--port") != std::string::npos);
  CHECK(parsed.err.find(file.string()) == std::string::npos);
}

TEST_CASE("key_of: the key a line sets, if any") {
  CHECK(key_of("port = 1", "") == "port");
  CHECK(key_of("  \"password-file\" = 'x'", "") == "password-file");
  CHECK(key_of("port = 1", "server") == "server.port");
  CHECK(key_of("[server]", "").empty());
  CHECK(key_of("", "").empty());
  CHECK(key_of("  \"#dev\",", "").empty());       // the rest of a multi-line array
  CHECK(key_of("  \"a=b\",", "").empty());
}

TEST_CASE("--tls takes --ca-file or --insecure (also from the config file); either alone without --tls is refused") {
  ConfigHome home;
  const auto tls = parse({"--tls", "--ca-file", "/etc/chat/ca.pem"});
  REQUIRE(std::holds_alternative<ClientConfig>(tls));
  CHECK(std::get<ClientConfig>(tls).tls);
  CHECK(std::get<ClientConfig>(tls).ca_file == "/etc/chat/ca.pem");
  const auto file = home.write("tls.toml", "tls = true\ninsecure = true\n");
  const auto from_file = parse({"--config", file.string()});
  REQUIRE(std::holds_alternative<ClientConfig>(from_file));
  CHECK(std::get<ClientConfig>(from_file).tls);
  CHECK(std::get<ClientConfig>(from_file).insecure);

  const auto alone = parse_capturing_stderr({"--insecure"});
  CHECK(std::get<int>(alone.result) == kExitUsage);
  CHECK(alone.err.find("--ca-file and --insecure need --tls") != std::string::npos);
  const auto both = parse_capturing_stderr({"--tls", "--insecure", "--ca-file", "x.pem"});
  CHECK(std::get<int>(both.result) == kExitUsage);
  CHECK(both.err.find("exclude each other") != std::string::npos);
}
