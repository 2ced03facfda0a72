#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace chat::client {

// --log-dir: one plain-text file per buffer, DIR/#general.log for #general,
// DIR/bob.log for the direct messages with bob, DIR/(status).log for the
// status buffer, appended to as irssi's /log does: "--- Log opened ..." when
// a file is opened, "--- Day changed ..." at midnight, and each line with its
// time ("14:02 ..."; a line the formatter already begins with its time is
// written as it is). Colour codes are left out. The directory is created
// with mode 0700 and the files with 0600: they hold private conversations.
// A file that cannot be written is reported once and then skipped. At most
// kMaxOpenFiles stay open: the least recently written is closed (and opened
// again, appended to, when its buffer speaks again), so that however many
// buffers come and go the client keeps descriptors for its connection.
class BufferLog {
 public:
  static constexpr std::size_t kMaxOpenFiles = 32;

  // `complain` hears, once per file, why it cannot be written.
  explicit BufferLog(std::string dir, std::function<void(std::string)> complain = {});
  ~BufferLog();  // "--- Log closed ..." in every open file
  BufferLog(const BufferLog&) = delete;
  BufferLog& operator=(const BufferLog&) = delete;

  void write(std::string_view buffer, std::string_view line);

  // "general" -> "general.log"; anything that could leave the directory or
  // hide the file (a '/', a leading '.') is replaced by '_'.
  static std::string file_name(std::string_view buffer);
  // The line without colour codes (the client's own SGR sequences: text
  // from the network has no ESC left by then).
  static std::string plain(std::string_view line);

 private:
  struct File {
    std::FILE* stream = nullptr;
    int day = -1;  // tm_yday of the last line, for "Day changed"
    int year = -1;
    std::uint64_t used = 0;  // when last written, in writes: the oldest is closed first
  };

  File* file_for(std::string_view buffer);
  // Closes and forgets the least recently written file.
  void close_oldest();

  std::string dir_;
  std::function<void(std::string)> complain_;
  bool dir_ready_ = false;
  std::uint64_t writes_ = 0;
  std::map<std::string, File, std::less<>> files_;  // a null stream: could not be opened
};

}  // namespace chat::client
