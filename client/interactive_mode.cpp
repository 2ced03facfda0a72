#include "client/interactive_mode.hpp"

#include <csignal>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "client/command_dispatcher.hpp"
#include "client/completer.hpp"
#include "client/readline_prompt.hpp"

namespace chat::client {
namespace {

// Alt-1..Alt-9 show buffers 1 to 9 and Alt-0 buffer 10, as in irssi;
// Alt-Right and Alt-Left the next and previous one.
void on_buffer_key(BufferView& view, char key) {
  if (key >= '1' && key <= '9') {
    view.show(static_cast<std::size_t>(key - '0'));
  } else if (key == '0') {
    view.show(10);
  } else if (key == 'C') {
    view.show_next();
  } else if (key == 'D') {
    view.show_previous();
  }
}

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

LinkEnd run_interactive(asio::io_context& io, ServerLinkOptions options, FormatOptions format,
                        BufferViewOptions view_options) {
  auto executor = io.get_executor();
  ReadlinePrompt prompt(executor, {});
  options.ask_password = [&prompt](std::string text) { return prompt.read_secret(std::move(text)); };
  options.fetch_room_names = true;
  BufferView view(OutputFormatter(format), prompt, std::move(view_options));
  ServerLink link(executor, std::move(options), view);
  view.set_on_room_shown([&link](const std::string& room) { link.switch_room(room); });
  CommandDispatcher dispatcher(
      link, view.shown(), [&prompt](std::string text) { return prompt.read_secret(std::move(text)); },
      /*confirm_new_passwords=*/true);
  dispatcher.set_clear_screen([&prompt] { prompt.clear_screen(); });
  dispatcher.set_buffers(&view);

  const auto on_line = [&](std::string line) {
    // Any line typed while waiting to reconnect, an empty Enter too, tries at once: someone is here and wants
    // the connection now, not after the backoff (a message typed then is sent as soon as it is back).
    link.reconnect_now();
    asio::co_spawn(
        executor,
        [&, line = std::move(line)]() -> asio::awaitable<void> {
          const Outcome outcome = co_await dispatcher.execute(parse_line(line));
          if (outcome.kind == Outcome::Kind::Quit) link.quit();
        },
        asio::detached);
  };
  prompt.set_handlers({on_line, [&link] { link.quit(); },
                       [&link, &view](std::string_view before, std::string_view word) {
                         const auto target = view.chat_target();
                         const bool room = target.kind == ChatTarget::Kind::Room;
                         return completions(before, word, link.names(), room ? target.name : std::string{});
                       },
                       [&view](char key) { on_buffer_key(view, key); }});
  view.status("type /help for the commands, /quit to leave; Alt-1..Alt-9 or /window N switch buffers");

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
