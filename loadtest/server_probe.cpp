#include "loadtest/server_probe.hpp"

#include <unistd.h>

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

std::optional<ServerSample> ServerProbe::sample() const {
  if (!enabled()) return std::nullopt;
  const auto rss = rss_kb(pid_);
  const auto cpu = cpu_seconds(pid_);
  if (!rss || !cpu) return std::nullopt;
  return ServerSample{*rss, *cpu};
}

}  // namespace chat::loadtest
