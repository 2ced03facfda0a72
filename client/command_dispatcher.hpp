#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "client/buffer_control.hpp"
#include "client/command_parser.hpp"
#include "client/password_source.hpp"
#include "client/request_builder.hpp"

namespace chat::client {

class Presenter;
class ServerLink;

// What became of one line of input.
struct Outcome {
  enum class Kind {
    Nothing,  // a blank line
    Sent,     // a request went to the server: `id` waits for its reply
    Done,     // handled by the client itself
    Failed,   // a usage error, or refused before sending (already said why)
    Quit,
  };
  Kind kind = Kind::Nothing;
  std::optional<std::int64_t> id;
};

// Carries out lines of input, for both the interactive and the script mode:
// local commands here, the rest as requests through the session. Script-only
// commands (/sleep, /wait) are the script runner's and are refused here.
class CommandDispatcher {
 public:
  CommandDispatcher(ServerLink& link, Presenter& presenter, AskPassword ask_password, bool confirm_new_passwords);

  boost::asio::awaitable<Outcome> execute(const ParsedLine& line);

  // How /clear clears the screen; without one (scripts) /clear is refused.
  void set_clear_screen(std::function<void()> clear_screen) { clear_screen_ = std::move(clear_screen); }

  // The interactive buffers: a plain line (or /me) goes to the buffer shown,
  // and /window, /next, /prev, /query act on them. Without (scripts), a
  // plain line goes to the current room, and those are refused as before.
  void set_buffers(BufferControl* buffers) { buffers_ = buffers; }

 private:
  boost::asio::awaitable<Outcome> log_in(const Command& command);
  Outcome help(const Command& command);
  Outcome switch_room(const Command& command);
  Outcome query(const Command& command);
  Outcome say(const std::string& text, MessageKind kind);
  Outcome window(const Command& command);
  Outcome clear();
  Outcome send(nlohmann::json request);
  Outcome fail(std::string_view why);

  ServerLink& link_;
  Presenter& presenter_;
  AskPassword ask_password_;
  bool confirm_new_passwords_;
  std::function<void()> clear_screen_;
  BufferControl* buffers_ = nullptr;
};

}  // namespace chat::client
