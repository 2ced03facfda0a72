#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "client/async_signal.hpp"
#include "client/line_writer.hpp"

namespace chat::client {

// GNU readline in callback mode, fed from the Asio loop: keystrokes are read
// when stdin is readable, so the socket never waits for the keyboard. Output
// is printed above the input line, which is then redrawn with whatever the
// user had typed, cursor included. Readline's state is global, so at most
// one ReadlinePrompt may exist at a time.
class ReadlinePrompt final : public LineWriter {
 public:
  struct Handlers {
    std::function<void(std::string)> line;  // a line the user entered
    std::function<void()> end;              // Ctrl-D on an empty line
    std::function<std::vector<std::string>(std::string_view before, std::string_view word)> complete;
    // A buffer key: '0'..'9' for Alt-0..Alt-9, 'C' for Alt-Right, 'D' for Alt-Left.
    std::function<void(char)> buffer_key;
  };

  ReadlinePrompt(asio::any_io_executor executor, Handlers handlers);
  ~ReadlinePrompt() override;  // gives the terminal back as it was
  ReadlinePrompt(const ReadlinePrompt&) = delete;
  ReadlinePrompt& operator=(const ReadlinePrompt&) = delete;

  // Shows the prompt and feeds keystrokes to readline until stop().
  asio::awaitable<void> run();
  void stop();

  void set_prompt(std::string prompt);
  void set_handlers(Handlers handlers) { handlers_ = std::move(handlers); }

  // Prints above the input line without disturbing it.
  void write(std::string_view line, Channel channel) override;

  // Reads a line without echoing it (a password); nullopt on Ctrl-D. The
  // typed text never enters the history.
  asio::awaitable<std::optional<std::string>> read_secret(std::string prompt);

  // Blanks the screen and prints `lines` (a buffer's scrollback), then the
  // input line, as it was, below them.
  void repaint(const std::deque<std::string>& lines);
  // The terminal bell (BEL), for a highlight in a buffer not shown.
  void bell();

  // Ctrl-C: drop what was typed and start a fresh line, like a shell.
  void cancel_line();
  // The terminal was resized.
  void resize();
  // /clear: blank the screen (ANSI "home, erase display") and redraw the
  // input line at the top.
  void clear_screen();

 private:
  static void on_line(char* line);
  static void on_secret(char* line);
  static char** on_complete(const char* text, int start, int end);
  static char* next_candidate(const char* text, int state);
  static void hidden_redisplay();
  static int on_accept(int count, int key);
  static int on_buffer_key(int count, int key);

  void install();

  asio::posix::stream_descriptor input_;
  Handlers handlers_;
  std::string prompt_ = "> ";
  bool running_ = false;
  bool secret_mode_ = false;
  std::optional<std::optional<std::string>> secret_;  // set once the secret line is in
  AsyncSignal secret_done_;
  std::vector<std::string> candidates_;

  static ReadlinePrompt* active_;
};

}  // namespace chat::client
