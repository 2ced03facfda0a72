#include "client/script_runner.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/command_dispatcher.hpp"
#include "client/input_source.hpp"
#include "client/output_log.hpp"
#include "client/presenter.hpp"
#include "client/server_link.hpp"

namespace chat::client {
namespace {

std::string seconds(std::chrono::milliseconds duration) {
  return std::to_string(duration.count() / 1000) + "." + std::to_string(duration.count() % 1000 / 100) + " s";
}

}  // namespace

void ScriptRunner::failed(std::string_view why) {
  presenter_.problem(why);
  ++failures_;
}

boost::asio::awaitable<int> ScriptRunner::run() {
  if (!co_await link_.wait_ready(deadline())) {
    if (!link_.ended()) failed("the session was not ready within " + seconds(timeout_));
    link_.quit();
    co_return failures_;
  }
  try {
    while (!quit_ && !stopped_ && !link_.ended()) {
      const auto line = co_await input_.next_line();
      if (!line) break;
      if (!co_await run_line(*line)) break;
    }
  } catch (const std::runtime_error& e) {
    failed(e.what());
  }
  // Missed messages still being fetched after a reconnect are part of the
  // conversation the script asked for: they are shown before it ends.
  if (!stopped_ && !co_await link_.wait_caught_up(deadline()) && !link_.ended()) {
    failed("the missed messages were not all fetched within " + seconds(timeout_));
  }
  link_.quit();
  co_return failures_;
}

// False when the script must stop (the session ended or /quit).
boost::asio::awaitable<bool> ScriptRunner::run_line(const std::string& line) {
  const ParsedLine parsed = parse_line(line);
  if (const auto* command = std::get_if<Command>(&parsed)) {
    if (command->id() == CommandId::Sleep) {
      co_await sleep(std::chrono::milliseconds(*command->number));
      co_return true;
    }
    if (command->id() == CommandId::Wait) {
      if (!co_await log_.wait_for(*command->text, deadline())) {
        if (stopped_) co_return false;
        failed("/wait: no line with \"" + *command->text + "\" within " + seconds(timeout_));
      }
      co_return true;
    }
  }
  const Outcome outcome = co_await dispatcher_.execute(parsed);
  switch (outcome.kind) {
    case Outcome::Kind::Failed: ++failures_; break;
    case Outcome::Kind::Quit: quit_ = true; co_return false;
    case Outcome::Kind::Sent:
      if (!co_await link_.wait_reply(*outcome.id, deadline())) {
        if (link_.ended()) co_return false;
        failed("no reply to \"" + line + "\" within " + seconds(timeout_));
      }
      break;
    case Outcome::Kind::Nothing:
    case Outcome::Kind::Done: break;
  }
  co_return !link_.ended();
}

void ScriptRunner::stop() {
  stopped_ = true;
  input_.cancel();
  log_.close();
  if (sleeping_) sleeping_->cancel();
}

boost::asio::awaitable<void> ScriptRunner::sleep(std::chrono::milliseconds duration) {
  if (stopped_) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  sleeping_ = &timer;
  struct Awake {
    boost::asio::steady_timer*& sleeping;
    ~Awake() { sleeping = nullptr; }
  } awake{sleeping_};
  boost::system::error_code ignored;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
}

}  // namespace chat::client
