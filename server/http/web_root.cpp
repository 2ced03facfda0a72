#include "server/http/web_root.hpp"

#include <system_error>

namespace chat {

namespace fs = std::filesystem;

std::vector<fs::path> WebRoot::candidates(const fs::path& executable) {
  const auto bin = executable.parent_path();      // <build>/server or <prefix>/bin
  const auto above = bin.parent_path();           // <build> or <prefix>
  return {above / "web", above / "share" / "chat-server" / "web"};
}

std::optional<fs::path> WebRoot::resolve(const std::string& setting, std::vector<fs::path>* tried) {
  if (setting.empty()) return std::nullopt;
  if (setting != kAuto) return fs::path(setting);
  std::error_code ec;
  const auto executable = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;  // no /proc: nothing to go by
  for (const auto& candidate : candidates(executable)) {
    if (tried) tried->push_back(candidate);
    if (fs::is_directory(candidate, ec)) return candidate;
  }
  return std::nullopt;
}

}  // namespace chat
