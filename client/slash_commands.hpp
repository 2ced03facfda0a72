#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace chat::client {

enum class CommandId : std::uint8_t {
  Help, Register, Login, Guest, Join, Leave, Switch, Rooms, Who, Create, Topic,
  Invite, Kick, Ban, Unban, Mod, Unmod, Msg, Query, Me, Whois, History, Window, Next, Prev, Clear, Reconnect, Quit,
  Sleep, Wait,
};

// What one argument slot accepts. Optional rooms are recognised by their
// leading '#', which is what lets "/kick bob spam" and "/kick bob #dev spam"
// both parse without quoting.
enum class ArgKind : std::uint8_t {
  Name,         // a user name to log in or register as
  User,         // another user
  Room,         // required room; the '#' may be left out
  OptRoom,      // optional room; only taken when it starts with '#'
  PrivateFlag,  // optional "--private" / "-p"
  Text,         // the rest of the line, required
  OptText,      // the rest of the line, optional
  OptCount,     // optional positive integer (also /window's buffer number)
  Millis,       // required non-negative integer
  OptCommand,   // optional command name, for /help
};

// Where a command may be used.
enum class Scope : std::uint8_t { Everywhere, ScriptOnly, InteractiveOnly };

struct SlashCommand {
  CommandId id;
  std::string_view name;     // without the '/'
  std::string_view args;     // argument synopsis for usage lines
  std::string_view summary;  // one line for /help
  std::array<ArgKind, 3> slots;
  std::uint8_t slot_count;
  Scope scope = Scope::Everywhere;

  std::span<const ArgKind> arguments() const noexcept { return {slots.data(), slot_count}; }
};

// Every command the client understands: parsing, /help and tab completion
// all read this one table, so they cannot disagree.
std::span<const SlashCommand> slash_commands() noexcept;

// Another name for a command, as IRC clients spell it: "/part" is "/leave".
struct CommandAlias {
  std::string_view alias;  // without the '/'
  std::string_view name;   // the command it stands for
};

// The aliases, in the order /help lists them.
std::span<const CommandAlias> command_aliases() noexcept;

// The spec named `name` (without '/', case-sensitive), or nullptr. An alias
// gives the spec of the command it stands for.
const SlashCommand* find_command(std::string_view name) noexcept;

}  // namespace chat::client
