#include "client/readline_prompt.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <readline/history.h>
#include <readline/readline.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace chat::client {

ReadlinePrompt* ReadlinePrompt::active_ = nullptr;

ReadlinePrompt::ReadlinePrompt(asio::any_io_executor executor, Handlers handlers)
    : input_(executor, ::dup(STDIN_FILENO)), handlers_(std::move(handlers)), secret_done_(executor) {
  active_ = this;
  // Signals are the Asio loop's business (see interactive_mode); readline
  // would otherwise install handlers of its own around every keystroke.
  rl_catch_signals = 0;
  rl_catch_sigwinch = 0;
  rl_readline_name = "chat-client";
  rl_attempted_completion_function = &ReadlinePrompt::on_complete;
}

ReadlinePrompt::~ReadlinePrompt() {
  if (running_) rl_callback_handler_remove();
  rl_redisplay_function = rl_redisplay;
  active_ = nullptr;
}

// The key bindings are made after the handler is installed, which is when
// readline first reads the inputrc: a binding there cannot undo them.
void ReadlinePrompt::install() {
  rl_callback_handler_install(prompt_.c_str(), &ReadlinePrompt::on_line);
  rl_bind_key('\r', &ReadlinePrompt::on_accept);
  rl_bind_key('\n', &ReadlinePrompt::on_accept);
  // Alt-digit as ESC digit (xterm's default, meta sends escape), Alt-Left and
  // Alt-Right as xterm (CSI 1;3 D/C) and rxvt (ESC ESC [ D/C) send them.
  for (char digit = '0'; digit <= '9'; ++digit) {
    const char sequence[] = {'\033', digit, '\0'};
    rl_bind_keyseq(sequence, &ReadlinePrompt::on_buffer_key);
  }
  for (const char* sequence : {"\033[1;3C", "\033[1;3D", "\033\033[C", "\033\033[D"}) {
    rl_bind_keyseq(sequence, &ReadlinePrompt::on_buffer_key);
  }
}

asio::awaitable<void> ReadlinePrompt::run() {
  running_ = true;
  install();
  while (running_) {
    boost::system::error_code error;
    co_await input_.async_wait(asio::posix::descriptor_base::wait_read,
                               asio::redirect_error(asio::use_awaitable, error));
    if (error || !running_) break;
    rl_callback_read_char();
  }
}

void ReadlinePrompt::stop() {
  if (!running_) return;
  running_ = false;
  rl_callback_handler_remove();
  std::fputc('\n', rl_outstream ? rl_outstream : stdout);
  std::fflush(stdout);
  boost::system::error_code ignored;
  input_.cancel(ignored);
}

void ReadlinePrompt::set_prompt(std::string prompt) {
  prompt_ = std::move(prompt);
  if (!running_ || secret_mode_) return;
  rl_set_prompt(prompt_.c_str());
  rl_redisplay();
}

void ReadlinePrompt::write(std::string_view line, Channel) {
  if (!running_) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    return;
  }
  if (secret_mode_) {
    std::fputs("\r\033[K", stdout);
  } else {
    rl_clear_visible_line();
  }
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  // The line buffer and cursor position are untouched; only the screen was
  // cleared, so redrawing brings back exactly what the user was typing.
  rl_on_new_line();
  (*rl_redisplay_function)();
}

asio::awaitable<std::optional<std::string>> ReadlinePrompt::read_secret(std::string prompt) {
  secret_.reset();
  secret_mode_ = true;
  rl_callback_handler_remove();
  rl_redisplay_function = &ReadlinePrompt::hidden_redisplay;
  rl_callback_handler_install(prompt.c_str(), &ReadlinePrompt::on_secret);
  while (!secret_ && running_) co_await secret_done_.wait_until(AsyncSignal::Clock::time_point::max());
  rl_callback_handler_remove();
  rl_redisplay_function = rl_redisplay;
  secret_mode_ = false;
  if (running_) install();
  co_return secret_ ? *secret_ : std::nullopt;
}

void ReadlinePrompt::repaint(const std::deque<std::string>& lines) {
  if (running_ && !secret_mode_) rl_clear_visible_line();
  std::fputs("\033[H\033[2J", stdout);
  for (const auto& line : lines) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  std::fflush(stdout);
  if (!running_) return;
  rl_on_new_line();
  (*rl_redisplay_function)();
}

void ReadlinePrompt::bell() {
  std::fputc('\a', stdout);
  std::fflush(stdout);
}

// Enter: the typed line leaves the screen as it is accepted. What it said
// comes back from the server (a message's echo, a direct message's reply, a
// command's answer), in its place in the conversation, so it is shown once
// and in the order the server gave it; see docs/client.md.
int ReadlinePrompt::on_accept(int count, int key) {
  ReadlinePrompt* self = active_;
  if (self && !self->secret_mode_) {
    rl_clear_visible_line();
    // Readline now takes the screen line for empty, so accepting prints no
    // newline, and the next prompt is drawn where this one was.
    rl_on_new_line();
  }
  return rl_newline(count, key);
}

int ReadlinePrompt::on_buffer_key(int, int key) {
  ReadlinePrompt* self = active_;
  if (!self || self->secret_mode_ || !self->handlers_.buffer_key) return 0;
  self->handlers_.buffer_key(static_cast<char>(key));
  return 0;
}

void ReadlinePrompt::cancel_line() {
  if (!running_) return;
  rl_replace_line("", 1);
  rl_point = 0;
  std::fputs("^C\n", stdout);
  rl_on_new_line();
  (*rl_redisplay_function)();
}

void ReadlinePrompt::clear_screen() {
  std::fputs("\033[H\033[2J", stdout);
  std::fflush(stdout);
  if (!running_) return;
  rl_on_new_line();
  (*rl_redisplay_function)();
}

void ReadlinePrompt::resize() {
  if (running_) rl_resize_terminal();
}

void ReadlinePrompt::on_line(char* line) {
  ReadlinePrompt* self = active_;
  if (!line) {
    if (self && self->handlers_.end) self->handlers_.end();
    return;
  }
  std::string text(line);
  std::free(line);
  if (!text.empty()) add_history(text.c_str());
  if (self && self->handlers_.line) self->handlers_.line(std::move(text));
}

void ReadlinePrompt::on_secret(char* line) {
  ReadlinePrompt* self = active_;
  std::optional<std::string> text;
  if (line) {
    text = line;
    std::memset(line, 0, std::strlen(line));
    std::free(line);
  }
  std::fputc('\n', stdout);
  if (!self) return;
  self->secret_ = std::move(text);
  self->secret_done_.notify();
}

// Shows the prompt but none of the typed characters.
void ReadlinePrompt::hidden_redisplay() {
  std::fprintf(stdout, "\r\033[K%s", rl_display_prompt ? rl_display_prompt : "");
  std::fflush(stdout);
}

char** ReadlinePrompt::on_complete(const char* text, int start, int) {
  rl_attempted_completion_over = 1;  // never fall back to file names
  ReadlinePrompt* self = active_;
  if (!self || !self->handlers_.complete) return nullptr;
  self->candidates_ = self->handlers_.complete(std::string_view(rl_line_buffer, static_cast<std::size_t>(start)), text);
  return rl_completion_matches(text, &ReadlinePrompt::next_candidate);
}

char* ReadlinePrompt::next_candidate(const char*, int state) {
  static std::size_t index = 0;
  if (state == 0) index = 0;
  const auto& candidates = active_->candidates_;
  if (index >= candidates.size()) return nullptr;
  return strdup(candidates[index++].c_str());
}

}  // namespace chat::client
