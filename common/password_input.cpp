#include "common/password_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <csignal>
#include <fstream>

namespace chat {

PasswordFile read_password_file(const std::string& path) {
  PasswordFile result;
  std::ifstream file(path);
  if (!file) {
    result.error = "cannot read password file " + path + ": " + std::strerror(errno);
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

namespace {

// Echo is off while a password is typed. A signal that ends the process
// meanwhile (Ctrl-C, a kill) must not leave the terminal that way, so for
// the length of the prompt those signals first put the terminal back, then
// do what they would have done. Prompts never nest and only one thread asks.
constexpr std::array kEndingSignals{SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Set before the handlers are installed; only read by them afterwards.
int g_tty = -1;
termios g_saved{};
std::array<struct sigaction, kEndingSignals.size()> g_previous{};
std::array<bool, kEndingSignals.size()> g_installed{};

extern "C" void restore_terminal_and_reraise(int signal) {
  // Only async-signal-safe calls here.
  ::tcsetattr(g_tty, TCSANOW, &g_saved);
  for (std::size_t i = 0; i < kEndingSignals.size(); ++i) {
    if (kEndingSignals[i] == signal) ::sigaction(signal, &g_previous[i], nullptr);
  }
  // Blocked until this handler returns; then it takes its usual course.
  ::raise(signal);
}

// Echo off on `tty` for its lifetime, restored on every way out: normal
// return, exception, or one of kEndingSignals.
class EchoOff {
 public:
  EchoOff(int tty, const termios& saved) {
    g_tty = tty;
    g_saved = saved;
    struct sigaction action {};
    action.sa_handler = &restore_terminal_and_reraise;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < kEndingSignals.size(); ++i) {
      ::sigaction(kEndingSignals[i], nullptr, &g_previous[i]);
      // An ignored signal (nohup) stays ignored: it cannot end the prompt.
      g_installed[i] = g_previous[i].sa_handler != SIG_IGN;
      if (g_installed[i]) ::sigaction(kEndingSignals[i], &action, nullptr);
    }
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  ~EchoOff() {
    ::tcsetattr(g_tty, TCSAFLUSH, &g_saved);
    for (std::size_t i = 0; i < kEndingSignals.size(); ++i) {
      if (g_installed[i]) ::sigaction(kEndingSignals[i], &g_previous[i], nullptr);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
};

}  // namespace

std::optional<std::string> prompt_on_tty(const std::string& prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return std::nullopt;
  std::string line;
  bool ended = true;
  {
    termios saved{};
    std::optional<EchoOff> echo_off;
    if (::tcgetattr(tty, &saved) == 0) echo_off.emplace(tty, saved);
    [[maybe_unused]] auto written = ::write(tty, prompt.data(), prompt.size());
    char c = 0;
    while (::read(tty, &c, 1) == 1) {
      if (c == '\n') {
        ended = false;
        break;
      }
      line.push_back(c);
    }
  }
  ::close(tty);
  if (ended && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace chat
