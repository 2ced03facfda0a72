#include "client/slash_commands.hpp"

namespace chat::client {
namespace {

using A = ArgKind;

constexpr SlashCommand spec(CommandId id, std::string_view name, std::string_view args, std::string_view summary,
                           std::initializer_list<ArgKind> kinds, Scope scope = Scope::Everywhere) {
  SlashCommand result{id, name, args, summary, {}, 0, scope};
  for (const ArgKind kind : kinds) result.slots[result.slot_count++] = kind;
  return result;
}

constexpr std::array kCommands{
    spec(CommandId::Help, "help", "[command]", "list the commands, or show how to use one", {A::OptCommand}),
    spec(CommandId::Register, "register", "NAME", "create an account and log in as it (asks for a password)",
         {A::Name}),
    spec(CommandId::Login, "login", "NAME", "log in to an account (asks for a password)", {A::Name}),
    spec(CommandId::Guest, "guest", "NAME", "log in as a guest, without an account", {A::Name}),
    spec(CommandId::Join, "join", "#room", "join a room and make it the current room", {A::Room}),
    spec(CommandId::Leave, "leave", "[#room]", "leave a room (default: the current room)", {A::OptRoom}),
    spec(CommandId::Switch, "switch", "#room", "make a joined room the current room", {A::Room}),
    spec(CommandId::Rooms, "rooms", "", "list the rooms you can see", {}),
    spec(CommandId::Who, "who", "[#room]", "list a room's members", {A::OptRoom}),
    spec(CommandId::Create, "create", "#room [--private] [topic]", "create a room; you own it and join it",
         {A::Room, A::PrivateFlag, A::OptText}),
    spec(CommandId::Topic, "topic", "[#room] [text]", "show a room's topic, or set it", {A::OptRoom, A::OptText}),
    spec(CommandId::Invite, "invite", "USER [#room]", "let a user join a private room", {A::User, A::OptRoom}),
    spec(CommandId::Kick, "kick", "USER [#room] [reason]", "remove a user from a room",
         {A::User, A::OptRoom, A::OptText}),
    spec(CommandId::Ban, "ban", "USER [#room] [reason]", "remove a user and keep them out",
         {A::User, A::OptRoom, A::OptText}),
    spec(CommandId::Unban, "unban", "USER [#room]", "let a banned user back in", {A::User, A::OptRoom}),
    spec(CommandId::Mod, "mod", "USER [#room]", "make a member a moderator (owner only)", {A::User, A::OptRoom}),
    spec(CommandId::Unmod, "unmod", "USER [#room]", "take the moderator role back (owner only)",
         {A::User, A::OptRoom}),
    spec(CommandId::Msg, "msg", "USER text", "send a direct message", {A::User, A::Text}),
    spec(CommandId::Query, "query", "USER [text]",
         "open the buffer of direct messages with USER (interactive); with text, send it (like /msg)",
         {A::User, A::OptText}),
    spec(CommandId::Me, "me", "text", "send an action: /me waves shows as \"* alice waves\"", {A::Text}),
    spec(CommandId::Whois, "whois", "USER", "whether a user exists and is online, and the rooms you share",
         {A::User}),
    spec(CommandId::History, "history", "[#room] [n]", "show the last n messages of a room (default 20)",
         {A::OptRoom, A::OptCount}),
    spec(CommandId::Window, "window", "[N]", "show buffer N (Alt-1..Alt-9); alone, list the buffers",
         {A::OptCount}, Scope::InteractiveOnly),
    spec(CommandId::Next, "next", "", "show the next buffer (Alt-Right)", {}, Scope::InteractiveOnly),
    spec(CommandId::Prev, "prev", "", "show the previous buffer (Alt-Left)", {}, Scope::InteractiveOnly),
    spec(CommandId::Clear, "clear", "", "clear the screen", {}, Scope::InteractiveOnly),
    spec(CommandId::Reconnect, "reconnect", "", "while waiting to reconnect, try at once", {}),
    spec(CommandId::Quit, "quit", "", "leave the client", {}),
    spec(CommandId::Sleep, "sleep", "MS", "pause the script for MS milliseconds", {A::Millis}, Scope::ScriptOnly),
    spec(CommandId::Wait, "wait", "TEXT", "pause the script until an output line contains TEXT", {A::Text},
         Scope::ScriptOnly),
};

constexpr std::array kAliases{
    CommandAlias{"part", "leave"},
    CommandAlias{"names", "who"},
    CommandAlias{"list", "rooms"},
};

const SlashCommand* find_by_name(std::string_view name) noexcept {
  for (const auto& command : kCommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

}  // namespace

std::span<const SlashCommand> slash_commands() noexcept { return kCommands; }

std::span<const CommandAlias> command_aliases() noexcept { return kAliases; }

const SlashCommand* find_command(std::string_view name) noexcept {
  if (const SlashCommand* spec = find_by_name(name)) return spec;
  for (const auto& alias : kAliases) {
    if (alias.alias == name) return find_by_name(alias.name);
  }
  return nullptr;
}

}  // namespace chat::client
