#include "client/command_dispatcher.hpp"

#include "client/presenter.hpp"
#include "client/request_builder.hpp"
#include "client/server_link.hpp"

namespace chat::client {

CommandDispatcher::CommandDispatcher(ServerLink& link, Presenter& presenter, AskPassword ask_password,
                                     bool confirm_new_passwords)
    : link_(link),
      presenter_(presenter),
      ask_password_(std::move(ask_password)),
      confirm_new_passwords_(confirm_new_passwords) {}

Outcome CommandDispatcher::fail(std::string_view why) {
  presenter_.problem(why);
  return {Outcome::Kind::Failed, std::nullopt};
}

Outcome CommandDispatcher::send(nlohmann::json request) {
  const auto id = link_.submit(std::move(request));
  if (!id) return {Outcome::Kind::Failed, std::nullopt};
  return {Outcome::Kind::Sent, id};
}

boost::asio::awaitable<Outcome> CommandDispatcher::execute(const ParsedLine& line) {
  if (const auto* error = std::get_if<UsageError>(&line)) co_return fail(error->message);
  if (const auto* chat = std::get_if<ChatText>(&line)) co_return say(chat->text, MessageKind::Text);
  const auto* command = std::get_if<Command>(&line);
  if (!command) co_return Outcome{};

  switch (command->id()) {
    case CommandId::Help: co_return help(*command);
    case CommandId::Switch: co_return switch_room(*command);
    case CommandId::Query: co_return query(*command);
    case CommandId::Me: co_return say(*command->text, MessageKind::Action);
    case CommandId::Window:
    case CommandId::Next:
    case CommandId::Prev: co_return window(*command);
    case CommandId::Leave:
      // In a conversation, /leave closes it, as /part closes an IRC query window.
      if (buffers_ && !command->room && buffers_->chat_target().kind == ChatTarget::Kind::Dm) {
        buffers_->close_conversation();
        co_return Outcome{Outcome::Kind::Done, std::nullopt};
      }
      break;
    case CommandId::Clear: co_return clear();
    case CommandId::Reconnect:
      if (!link_.reconnect_now()) co_return fail("not waiting to reconnect; /reconnect cuts that wait short");
      presenter_.status("reconnecting now");
      co_return Outcome{Outcome::Kind::Done, std::nullopt};
    case CommandId::Quit: co_return Outcome{Outcome::Kind::Quit, std::nullopt};
    case CommandId::Register:
    case CommandId::Login:
    case CommandId::Guest: co_return co_await log_in(*command);
    case CommandId::Sleep:
    case CommandId::Wait: co_return fail("/" + std::string(command->spec->name) + " works only in scripts");
    default: break;
  }
  const auto room = command->room.value_or(link_.current_room());
  auto request = build_request(*command, link_.current_room(), link_.resume().since(room));
  if (const auto* error = std::get_if<UsageError>(&request)) co_return fail(error->message);
  co_return send(std::move(std::get<nlohmann::json>(request)));
}

boost::asio::awaitable<Outcome> CommandDispatcher::log_in(const Command& command) {
  Credentials credentials{AuthMode::Guest, *command.user, {}};
  if (command.id() != CommandId::Guest) {
    credentials.mode = command.id() == CommandId::Register ? AuthMode::Register : AuthMode::Login;
    auto password = co_await ask_password_("Password for " + credentials.name + ": ");
    if (!password) co_return fail("no password given");
    if (credentials.mode == AuthMode::Register && confirm_new_passwords_) {
      const auto again = co_await ask_password_("Repeat the password: ");
      if (again != password) co_return fail("the passwords differ; nothing was sent");
    }
    credentials.password = std::move(*password);
  }
  co_return send(auth_request(credentials));
}

Outcome CommandDispatcher::help(const Command& command) {
  if (command.text) {
    const SlashCommand* spec = find_command(*command.text);
    if (!spec) return fail("no command /" + *command.text);
    presenter_.status(usage(*spec) + "  " + std::string(spec->summary));
    return {Outcome::Kind::Done, std::nullopt};
  }
  presenter_.status("commands (a line without '/' goes to the current room, interactively to the buffer shown; "
                    "start it with // to send a '/'):");
  for (const auto& spec : slash_commands()) {
    std::string line = usage(spec);
    line.resize(std::max<std::size_t>(line.size() + 2, 36), ' ');
    line += spec.summary;
    if (spec.scope == Scope::ScriptOnly) line += " (scripts only)";
    if (spec.scope == Scope::InteractiveOnly) line += " (interactive only)";
    presenter_.status("  " + line);
  }
  std::string aliases = "aliases:";
  for (const auto& alias : command_aliases()) {
    aliases += (&alias == command_aliases().data() ? " /" : ", /") + std::string(alias.alias) + " = /" +
               std::string(alias.name);
  }
  presenter_.status(aliases);
  return {Outcome::Kind::Done, std::nullopt};
}

// Interactively /query opens the conversation's buffer (and sends the text,
// if any); scripts have no buffers: there a DM is one line, "/query USER text".
Outcome CommandDispatcher::query(const Command& command) {
  if (buffers_) buffers_->query(*command.user);
  if (command.text) return send(dm_request(*command.user, *command.text));
  if (!buffers_) {
    presenter_.status("/query " + *command.user + " text (or /msg " + *command.user + " text) sends " +
                      *command.user + " a direct message");
  }
  return {Outcome::Kind::Done, std::nullopt};
}

// A plain line or a /me: to the buffer shown, or (scripts) the current room.
Outcome CommandDispatcher::say(const std::string& text, MessageKind kind) {
  const ChatTarget target = buffers_ ? buffers_->chat_target() : ChatTarget{ChatTarget::Kind::Room, link_.current_room()};
  switch (target.kind) {
    case ChatTarget::Kind::Dm: return send(dm_request(target.name, text, kind));
    case ChatTarget::Kind::None:
      return fail("the status buffer sends nothing: /window N shows a room or a conversation, /query USER opens one");
    case ChatTarget::Kind::Room: break;
  }
  if (target.name.empty()) return fail("no current room: /join #room first");
  return send(send_request(target.name, text, kind));
}

Outcome CommandDispatcher::window(const Command& command) {
  if (!buffers_) return fail("/" + std::string(command.spec->name) + " works only interactively");
  if (command.id() == CommandId::Next) {
    buffers_->show_next();
  } else if (command.id() == CommandId::Prev) {
    buffers_->show_previous();
  } else if (!command.number) {
    buffers_->list();
  } else if (!buffers_->show(static_cast<std::size_t>(*command.number))) {
    return fail("no buffer " + std::to_string(*command.number) + "; /window alone lists them");
  }
  return {Outcome::Kind::Done, std::nullopt};
}

Outcome CommandDispatcher::clear() {
  if (!clear_screen_) return fail("/clear works only interactively");
  clear_screen_();
  return {Outcome::Kind::Done, std::nullopt};
}

Outcome CommandDispatcher::switch_room(const Command& command) {
  if (!link_.switch_room(*command.room)) {
    return fail("you are not in #" + *command.room + "; /join #" + *command.room + " first");
  }
  return {Outcome::Kind::Done, std::nullopt};
}

}  // namespace chat::client
