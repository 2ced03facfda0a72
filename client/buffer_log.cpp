#include "client/buffer_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chat::client {
namespace {

std::tm local_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  localtime_r(&now, &parts);
  return parts;
}

std::string format_time(const char* format, const std::tm& parts) {
  char text[64];
  const std::size_t n = std::strftime(text, sizeof text, format, &parts);
  return std::string(text, n);
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// "14:02 " or "2026-12-05 14:02 ": the formatter's clock, which shows the
// message's own time (a replayed one may be hours old).
bool starts_with_clock(std::string_view line) {
  const auto hh_mm = [&](std::size_t at) {
    return line.size() > at + 5 && digit(line[at]) && digit(line[at + 1]) && line[at + 2] == ':' &&
           digit(line[at + 3]) && digit(line[at + 4]) && line[at + 5] == ' ';
  };
  if (hh_mm(0)) return true;
  return line.size() > 11 && digit(line[0]) && digit(line[3]) && line[4] == '-' && line[7] == '-' &&
         line[10] == ' ' && hh_mm(11);
}

}  // namespace

BufferLog::BufferLog(std::string dir, std::function<void(std::string)> complain)
    : dir_(std::move(dir)), complain_(std::move(complain)) {}

namespace {

void close_file(std::FILE* stream) {
  if (!stream) return;
  std::fprintf(stream, "--- Log closed %s\n", format_time("%a %b %d %H:%M:%S %Y", local_now()).c_str());
  std::fclose(stream);
}

}  // namespace

BufferLog::~BufferLog() {
  for (auto& [name, file] : files_) close_file(file.stream);
}

void BufferLog::close_oldest() {
  const auto oldest = std::min_element(files_.begin(), files_.end(),
                                       [](const auto& a, const auto& b) { return a.second.used < b.second.used; });
  if (oldest == files_.end()) return;
  close_file(oldest->second.stream);
  files_.erase(oldest);
}

std::string BufferLog::file_name(std::string_view buffer) {
  std::string name;
  for (const char c : buffer) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || digit(c) || c == '_' || c == '-' ||
                      c == '.' || c == '#' || c == '(' || c == ')';
    name += safe ? c : '_';
  }
  if (name.empty() || name.front() == '.') name.insert(name.begin(), '_');
  return name + ".log";
}

std::string BufferLog::plain(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033' && i + 1 < line.size() && line[i + 1] == '[') {
      std::size_t end = i + 2;
      while (end < line.size() && (digit(line[end]) || line[end] == ';')) ++end;
      if (end < line.size() && line[end] == 'm') {
        i = end;
        continue;
      }
    }
    out += line[i];
  }
  return out;
}

BufferLog::File* BufferLog::file_for(std::string_view buffer) {
  if (const auto it = files_.find(buffer); it != files_.end()) {
    it->second.used = ++writes_;
    return it->second.stream ? &it->second : nullptr;
  }
  // A failed file counts too: it stays remembered (and not complained of again) only while it is recent.
  if (files_.size() >= kMaxOpenFiles) close_oldest();
  File& file = files_[std::string(buffer)];
  file.used = ++writes_;
  if (!dir_ready_) {
    // An existing directory is the user's own choice and keeps its mode.
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
      if (complain_) complain_("cannot create the log directory " + dir_ + ": " + std::strerror(errno));
      return nullptr;
    }
    dir_ready_ = true;
  }
  const std::string path = dir_ + "/" + file_name(buffer);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || !(file.stream = ::fdopen(fd, "a"))) {
    if (complain_) complain_("cannot write the log " + path + ": " + std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return nullptr;
  }
  const std::tm now = local_now();
  std::fprintf(file.stream, "--- Log opened %s\n", format_time("%a %b %d %H:%M:%S %Y", now).c_str());
  file.day = now.tm_yday;
  file.year = now.tm_year;
  return &file;
}

void BufferLog::write(std::string_view buffer, std::string_view line) {
  File* file = file_for(buffer);
  if (!file) return;
  const std::tm now = local_now();
  if (now.tm_yday != file->day || now.tm_year != file->year) {
    std::fprintf(file->stream, "--- Day changed %s\n", format_time("%a %b %d %Y", now).c_str());
    file->day = now.tm_yday;
    file->year = now.tm_year;
  }
  const std::string text = plain(line);
  if (!starts_with_clock(text)) std::fputs(format_time("%H:%M ", now).c_str(), file->stream);
  std::fputs(text.c_str(), file->stream);
  std::fputc('\n', file->stream);
  // Flushed per line: a log is read with tail -f, and must survive a crash.
  std::fflush(file->stream);
}

}  // namespace chat::client
