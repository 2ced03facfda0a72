#include "client/interactive_mode.hpp"

#include <csignal>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/command_dispatcher.hpp"
#include "client/completer.hpp"
#include "client/readline_prompt.hpp"
#include "client/terminal_output.hpp"

namespace chat::client {
namespace {

std::string prompt_for(const std::string& room) { return room.empty() ? "> " : "#" + room + "> "; }

// Ctrl-C clears the line, a resize redraws it, SIGTERM and SIGHUP end the
// session cleanly so the terminal is restored.
asio::awaitable<void> handle_signals(ReadlinePrompt& prompt, ServerLink& link) {
  asio::signal_set signals(co_await asio::this_coro::executor, SIGINT, SIGTERM, SIGHUP);
  signals.add(SIGWINCH);
  for (;;) {
    const int signal = co_await signals.async_wait(asio::use_awaitable);
    if (signal == SIGINT) {
      prompt.cancel_line();
    } else if (signal == SIGWINCH) {
      prompt.resize();
    } else {
      link.quit();
    }
  }
}

}  // namespace

LinkEnd run_interactive(asio::io_context& io, ServerLinkOptions options, FormatOptions format) {
  auto executor = io.get_executor();
  ReadlinePrompt prompt(executor, {});
  options.ask_password = [&prompt](std::string text) { return prompt.read_secret(std::move(text)); };
  TerminalOutput output(OutputFormatter(format), prompt,
                        [&prompt](const std::string& room) { prompt.set_prompt(prompt_for(room)); });
  ServerLink link(executor, std::move(options), output);
  CommandDispatcher dispatcher(
      link, output, [&prompt](std::string text) { return prompt.read_secret(std::move(text)); },
      /*confirm_new_passwords=*/true);
  dispatcher.set_clear_screen([&prompt] { prompt.clear_screen(); });

  const auto on_line = [&](std::string line) {
    asio::co_spawn(
        executor,
        [&, line = std::move(line)]() -> asio::awaitable<void> {
          const Outcome outcome = co_await dispatcher.execute(parse_line(line));
          if (outcome.kind == Outcome::Kind::Quit) link.quit();
        },
        asio::detached);
  };
  prompt.set_handlers({on_line, [&link] { link.quit(); },
                       [&link](std::string_view before, std::string_view word) {
                         return completions(before, word, link.names());
                       }});
  output.status("type /help for the commands, /quit to leave");

  LinkEnd end = LinkEnd::Quit;
  asio::co_spawn(executor, prompt.run(), asio::detached);
  asio::co_spawn(executor, handle_signals(prompt, link), asio::detached);
  asio::co_spawn(executor, link.run(), [&](std::exception_ptr error, LinkEnd result) {
    end = error ? LinkEnd::GaveUp : result;
    prompt.stop();
    io.stop();
  });
  io.run();
  return end;
}

}  // namespace chat::client
