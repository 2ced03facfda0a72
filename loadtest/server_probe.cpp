#include "loadtest/server_probe.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace chat::loadtest {
namespace {

std::optional<std::uint64_t> rss_kb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      std::uint64_t kb = 0;
      if (fields >> kb) return kb;
    }
  }
  return std::nullopt;
}

std::optional<double> cpu_seconds(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields are counted after its ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  double utime = 0;
  double stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<std::uint64_t> ServerProbe::sockets() const {
  if (!enabled()) return std::nullopt;
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", error);
  if (error) return std::nullopt;
  std::uint64_t count = 0;
  for (const std::filesystem::directory_iterator end; it != end; it.increment(error)) {
    if (error) return std::nullopt;
    // A descriptor closed since the listing has no link any more: not counted.
    std::error_code gone;
    if (std::filesystem::read_symlink(it->path(), gone).native().starts_with("socket:")) ++count;
  }
  return count;
}

std::optional<ServerSample> ServerProbe::sample() const {
  if (!enabled()) return std::nullopt;
  const auto rss = rss_kb(pid_);
  const auto cpu = cpu_seconds(pid_);
  if (!rss || !cpu) return std::nullopt;
  return ServerSample{*rss, *cpu};
}

}  // namespace chat::loadtest
