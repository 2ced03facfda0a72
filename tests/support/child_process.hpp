#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::test {

// Plumbing shared by the fixtures that run the real binaries.

// A fresh directory under the system temporary folder: <prefix>-XXXXXX.
std::filesystem::path make_temp_dir(std::string_view prefix);

// Removes a fixture's directory unless CHAT_KEEP_TEST_DATA is set.
void remove_temp_dir(const std::filesystem::path& dir);

std::string read_file(const std::filesystem::path& path);

// Starts args[0] with args; stdin from `in` (or inherited when empty),
// stdout to `out`, stderr to `err` (appended). A non-zero
// `open_file_limit` becomes the child's soft and hard RLIMIT_NOFILE.
pid_t spawn(std::vector<std::string> args, const std::filesystem::path& in, const std::filesystem::path& out,
            const std::filesystem::path& err, std::uint64_t open_file_limit = 0);

// Waits up to `limit` for the child to exit; its exit code (-1 when killed
// by a signal), or nullopt when it is still running.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds limit);

// SIGKILL and reap.
void kill_and_reap(pid_t pid);

// What a program run to its end said.
struct Run {
  int status;  // exit code; -1 when a signal ended it, -2 when it was still running after the limit (then killed)
  std::string out;
  std::string err;
};

// Runs args[0] with args to its end, bounded by `limit`.
Run run_to_end(std::vector<std::string> args, std::chrono::milliseconds limit);

}  // namespace chat::test
