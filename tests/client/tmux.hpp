#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include <doctest/doctest.h>

namespace chat::test {

// A program on a terminal of tmux's, on a private tmux server (its own
// socket), so a test never touches a tmux of the person running it. The
// screen is what a person would see; raw() is every byte the program wrote,
// escape sequences and bells included (tmux's pipe-pane).
class Tmux {
 public:
  explicit Tmux(const std::string& command, const std::string& name = "chat")
      : socket_("chat-client-test-" + std::to_string(::getpid()) + "-" + name),
        raw_(std::filesystem::temp_directory_path() / (socket_ + ".raw")) {
    std::filesystem::remove(raw_);
    REQUIRE_MESSAGE(tmux("-f /dev/null new-session -d -s chat -x 100 -y 20 '" + command + "'") == 0,
                    "tmux could not start (is it installed? scripts/setup.sh installs it)");
    tmux("pipe-pane -t chat 'cat >> " + raw_.string() + "'");
  }
  ~Tmux() {
    tmux("kill-server 2>/dev/null");
    std::filesystem::remove(raw_);
  }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  std::string screen() const {
    const std::string command = "tmux -L " + socket_ + " capture-pane -p -t chat 2>/dev/null";
    std::string text;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
      char buffer[4096];
      for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
      ::pclose(pipe);
    }
    return text;
  }

  // What the program wrote since the pipe was set up.
  std::string raw() const {
    std::ifstream in(raw_, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The last line of the screen that is not blank: where the prompt is.
  std::string input_line() const {
    const auto text = screen();
    std::string last;
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      auto line = text.substr(start, end - start);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      if (!line.empty()) last = line;
      start = end + 1;
    }
    return last;
  }

  void type(const std::string& literal) const { tmux("send-keys -t chat -l '" + literal + "'"); }
  void key(const std::string& name) const { tmux("send-keys -t chat " + name); }
  // A line typed and entered.
  void enter(const std::string& literal) const {
    type(literal);
    key("Enter");
  }
  bool alive() const { return tmux("has-session -t chat 2>/dev/null") == 0; }

  bool wait_until(const std::function<bool()>& condition,
                  std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  }

  bool wait_for_screen(const std::string& text) const {
    return wait_until([&] { return screen().find(text) != std::string::npos; });
  }

 private:
  int tmux(const std::string& arguments) const {
    return std::system(("tmux -L " + socket_ + " " + arguments).c_str());
  }

  std::string socket_;
  std::filesystem::path raw_;
};

}  // namespace chat::test
