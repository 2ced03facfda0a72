#include "client/password_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>

namespace chat::client {

PasswordFile read_password_file(const std::string& path) {
  PasswordFile result;
  std::ifstream file(path);
  if (!file) {
    result.error = "cannot read password file " + path;
    return result;
  }
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    result.error = "password file " + path + " is empty";
    return result;
  }
  struct stat info {};
  result.readable_by_others = ::stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0;
  result.password = std::move(line);
  return result;
}

std::optional<std::string> prompt_on_tty(const std::string& prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return std::nullopt;
  termios saved{};
  const bool is_terminal = ::tcgetattr(tty, &saved) == 0;
  if (is_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  [[maybe_unused]] auto written = ::write(tty, prompt.data(), prompt.size());
  std::string line;
  bool ended = true;
  char c = 0;
  while (::read(tty, &c, 1) == 1) {
    if (c == '\n') {
      ended = false;
      break;
    }
    line.push_back(c);
  }
  if (is_terminal) ::tcsetattr(tty, TCSAFLUSH, &saved);
  ::close(tty);
  if (ended && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace chat::client
