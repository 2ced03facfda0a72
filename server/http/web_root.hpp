#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace chat {

// Where the browser client's files are (http.web_root), decided once at start-up.
//
// "auto" (the default) looks next to the executable, as /proc/self/exe names it: the build tree's copy
// (<build>/web, beside <build>/server/chat-server) and then the installed one
// (<prefix>/share/chat-server/web, beside <prefix>/bin/chat-server); the first folder that exists is used,
// and none means no client is served (the operator endpoints still are). "" serves no client. Anything
// else is a folder, relative to the working directory like storage.path, that must exist: load() reports
// it otherwise. Not thread-safe to race with a changing file system, nor meant to be: start-up only.
struct WebRoot {
  static constexpr const char* kAuto = "auto";

  // The folders "auto" tries, in order, for an executable at `executable`.
  static std::vector<std::filesystem::path> candidates(const std::filesystem::path& executable);

  // The folder to serve, or nullopt for none; `tried` (when given) receives the folders "auto" looked at,
  // for the start-up log.
  static std::optional<std::filesystem::path> resolve(const std::string& setting,
                                                      std::vector<std::filesystem::path>* tried = nullptr);
};

}  // namespace chat
