// --log-dir: one file per buffer, private, appended, lines timed as irssi's /log writes them.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/buffer_log.hpp"

using chat::client::BufferLog;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

}  // namespace

TEST_CASE("each buffer has its own private file, appended to, without colour codes") {
  const fs::path base = fs::temp_directory_path() / ("chat-buffer-log-" + std::to_string(::getpid()));
  fs::remove_all(base);
  const fs::path dir = base / "logs";
  fs::create_directories(base);
  std::vector<std::string> complaints;
  {
    BufferLog log(dir.string(), [&](std::string why) { complaints.push_back(why); });
    log.write("general", "16:00 #general <bob> \033[1mhi\033[0m");
    log.write("bob", "16:01 [dm bob -> alice] psst");
    log.write("status", "-- connected");
  }
  {
    BufferLog log(dir.string());
    log.write("general", "2026-12-05 16:02 #general <bob> again");
  }
  CHECK(complaints.empty());
  CHECK(mode_of(dir) == 0700);
  CHECK(mode_of(dir / "general.log") == 0600);
  CHECK(mode_of(dir / "status.log") == 0600);
  const auto general = read(dir / "general.log");
  INFO(general);
  CHECK(general.starts_with("--- Log opened "));
  CHECK(general.find("16:00 #general <bob> hi\n") != std::string::npos);
  CHECK(general.find("\033") == std::string::npos);
  CHECK(general.find("--- Log closed ") != std::string::npos);
  // Appended: the second run's line follows the first run's.
  CHECK(general.find("2026-12-05 16:02 #general <bob> again\n") > general.find("16:00 #general <bob> hi"));
  // A line without the formatter's clock gets the time it was written ("HH:MM ").
  const auto status = read(dir / "status.log");
  const auto at = status.find("-- connected");
  REQUIRE(at != std::string::npos);
  REQUIRE(at >= 6);
  CHECK(status[at - 4] == ':');
  CHECK(read(dir / "bob.log").find("16:01 [dm bob -> alice] psst") != std::string::npos);
  fs::remove_all(base);
}

TEST_CASE("PathEscape: a buffer name cannot leave the log directory or hide its file") {
  CHECK(BufferLog::file_name("general") == "general.log");
  CHECK(BufferLog::file_name("../../etc/passwd") == "_.._.._etc_passwd.log");
  CHECK(BufferLog::file_name(".hidden") == "_.hidden.log");
  CHECK(BufferLog::file_name("") == "_.log");
  CHECK(BufferLog::plain("\033[1;31merror\033[0m text") == "error text");
}

TEST_CASE("LogDescriptorFlood: at most kMaxOpenFiles logs stay open; a closed one is appended to again") {
  const fs::path dir = fs::temp_directory_path() / ("chat-buffer-log-flood-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const auto open_descriptors = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  const auto before = open_descriptors();
  {
    BufferLog log(dir.string());
    for (int i = 0; i < 200; ++i) log.write("guest" + std::to_string(i), "hello " + std::to_string(i));
    CHECK(open_descriptors() - before <= static_cast<long>(BufferLog::kMaxOpenFiles));
    log.write("guest0", "back again");
  }
  CHECK(open_descriptors() == before);
  const auto first = read(dir / "guest0.log");
  INFO(first);
  CHECK(first.find("hello 0") < first.find("back again"));
  CHECK(first.find("--- Log closed") < first.find("back again"));  // closed when evicted, then reopened
  fs::remove_all(dir);
}

TEST_CASE("a room, a user and the status buffer of one name keep apart files") {
  CHECK(BufferLog::file_name("#general") == "#general.log");
  CHECK(BufferLog::file_name("general") == "general.log");
  CHECK(BufferLog::file_name("(status)") == "(status).log");
}
