#pragma once

#include <chrono>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace chat::client {

class CommandDispatcher;
class InputSource;
class OutputLog;
class Presenter;
class ServerLink;

// Non-interactive mode: runs the lines of a script one at a time, each
// command waiting for its reply before the next is sent, so a script reads
// top to bottom like the conversation it produces. Adds /sleep MS and
// /wait TEXT for scripts that must wait for something another client does.
class ScriptRunner {
 public:
  ScriptRunner(ServerLink& link, CommandDispatcher& dispatcher, Presenter& presenter, OutputLog& log,
               InputSource& input, std::chrono::milliseconds timeout)
      : link_(link), dispatcher_(dispatcher), presenter_(presenter), log_(log), input_(input),
        timeout_(timeout) {}

  // Runs to the end of the input (or /quit), waits for the missed messages
  // a reconnect is still fetching, then ends the session. Returns
  // the number of lines that failed locally; error replies are counted by
  // the session.
  boost::asio::awaitable<int> run();

  // The session ended by itself (gave up reconnecting, login refused): stop
  // waiting for input, a /wait or a /sleep, so that a script fed by a pipe
  // that stays open (tail -f) still exits.
  void stop();

 private:
  boost::asio::awaitable<bool> run_line(const std::string& line);
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds duration);
  std::chrono::steady_clock::time_point deadline() const { return std::chrono::steady_clock::now() + timeout_; }
  void failed(std::string_view why);

  ServerLink& link_;
  CommandDispatcher& dispatcher_;
  Presenter& presenter_;
  OutputLog& log_;
  InputSource& input_;
  std::chrono::milliseconds timeout_;
  int failures_ = 0;
  bool quit_ = false;
  bool stopped_ = false;
  boost::asio::steady_timer* sleeping_ = nullptr;  // the timer of a /sleep under way
};

}  // namespace chat::client
