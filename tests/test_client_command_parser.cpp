#include <doctest/doctest.h>

#include "client/command_parser.hpp"

using namespace chat::client;

namespace {

Command command(std::string_view line) {
  auto parsed = parse_line(line);
  const auto* result = std::get_if<Command>(&parsed);
  if (!result) {
    const auto* error = std::get_if<UsageError>(&parsed);
    FAIL("not a command: " << line << " -> " << (error ? error->message : "?"));
  }
  return *result;
}

std::string usage_error(std::string_view line) {
  auto parsed = parse_line(line);
  const auto* error = std::get_if<UsageError>(&parsed);
  if (!error) FAIL("expected a usage error for: " << line);
  return error ? error->message : std::string{};
}

}  // namespace

TEST_CASE("plain text is a message for the current room; // escapes a slash") {
  auto parsed = parse_line("  hello there  ");
  REQUIRE(std::holds_alternative<ChatText>(parsed));
  CHECK(std::get<ChatText>(parsed).text == "hello there");
  parsed = parse_line("//help is not a command");
  REQUIRE(std::holds_alternative<ChatText>(parsed));
  CHECK(std::get<ChatText>(parsed).text == "/help is not a command");
  CHECK(std::holds_alternative<std::monostate>(parse_line("   ")));
  CHECK(std::holds_alternative<std::monostate>(parse_line("")));
}

TEST_CASE("room and user names are canonical: lowercase, without '#'") {
  const auto join = command("/join #General");
  CHECK(join.id() == CommandId::Join);
  CHECK(join.room == "general");
  CHECK(command("/join dev").room == "dev");
  CHECK(command("/login Alice").user == "alice");
}

TEST_CASE("optional rooms are taken only when they start with '#'") {
  auto kick = command("/kick mallory spam and more spam");
  CHECK(kick.user == "mallory");
  CHECK_FALSE(kick.room.has_value());
  CHECK(kick.text == "spam and more spam");

  kick = command("/kick mallory #dev spam");
  CHECK(kick.room == "dev");
  CHECK(kick.text == "spam");

  const auto topic = command("/topic #dev  Release  day");
  CHECK(topic.room == "dev");
  CHECK(topic.text == "Release  day");
  CHECK_FALSE(command("/topic").text.has_value());
  CHECK_FALSE(command("/leave").room.has_value());
}

TEST_CASE("/create takes a private flag and an optional topic") {
  auto create = command("/create #secret --private Only us");
  CHECK(create.room == "secret");
  CHECK(create.private_room);
  CHECK(create.text == "Only us");
  create = command("/create #open");
  CHECK_FALSE(create.private_room);
  CHECK_FALSE(create.text.has_value());
  CHECK(command("/create #x -p").private_room);
}

TEST_CASE("/msg needs a user and text; /history takes an optional count") {
  const auto msg = command("/msg Bob  lunch at noon?");
  CHECK(msg.user == "bob");
  CHECK(msg.text == "lunch at noon?");
  CHECK(command("/history").number == std::nullopt);
  CHECK(command("/history 5").number == 5);
  const auto history = command("/history #dev 7");
  CHECK(history.room == "dev");
  CHECK(history.number == 7);
}

TEST_CASE("script commands parse their arguments") {
  CHECK(command("/sleep 250").number == 250);
  CHECK(command("/wait <bob> hi there").text == "<bob> hi there");
  CHECK(command("/help /join").text == "join");
}

TEST_CASE("mistakes give a one-line hint with the usage") {
  CHECK(usage_error("/frobnicate") == "unknown command /frobnicate (try /help)");
  CHECK(usage_error("/join") == "missing room name; usage: /join #room");
  CHECK(usage_error("/msg bob") == "missing text; usage: /msg USER text");
  CHECK(usage_error("/join #bad!name") == "invalid room name '#bad!name'; usage: /join #room");
  CHECK(usage_error("/rooms now") == "too many arguments; usage: /rooms");
  CHECK(usage_error("/history 0").find("not a positive number") != std::string::npos);
  CHECK(usage_error("/sleep soon").find("usage: /sleep MS") != std::string::npos);
  CHECK(usage_error("/invite") == "missing user name; usage: /invite USER [#room]");
}

TEST_CASE("every command in the table has a usage line and a summary") {
  for (const auto& spec : slash_commands()) {
    CAPTURE(spec.name);
    CHECK_FALSE(spec.summary.empty());
    CHECK(usage(spec).starts_with("/" + std::string(spec.name)));
    CHECK(find_command(spec.name) == &spec);
  }
}

TEST_CASE("IRC aliases parse as the commands they stand for") {
  const auto part = command("/part #dev");
  CHECK(part.id() == CommandId::Leave);
  CHECK(part.room == "dev");
  CHECK(command("/part").id() == CommandId::Leave);
  CHECK(command("/names #dev").id() == CommandId::Who);
  CHECK(command("/names").id() == CommandId::Who);
  CHECK(command("/list").id() == CommandId::Rooms);
  // Usage lines name the command itself, the one /help explains.
  CHECK(usage_error("/list extra") == "too many arguments; usage: /rooms");
  for (const auto& alias : command_aliases()) {
    CHECK(find_command(alias.alias) == find_command(alias.name));
    CHECK(find_command(alias.name) != nullptr);
  }
}

TEST_CASE("/query takes a user and optional text; /clear takes nothing") {
  const auto query = command("/query Bob  lunch at noon?");
  CHECK(query.id() == CommandId::Query);
  CHECK(query.user == "bob");
  CHECK(query.text == "lunch at noon?");
  const auto bare = command("/query bob");
  CHECK(bare.user == "bob");
  CHECK_FALSE(bare.text.has_value());
  CHECK(usage_error("/query") == "missing user name; usage: /query USER [text]");
  CHECK(command("/clear").id() == CommandId::Clear);
  CHECK(find_command("clear")->scope == Scope::InteractiveOnly);
  CHECK(usage_error("/clear now") == "too many arguments; usage: /clear");
}

TEST_CASE("/reconnect takes no arguments") {
  CHECK(command("/reconnect").id() == CommandId::Reconnect);
  CHECK(usage_error("/reconnect now") == "too many arguments; usage: /reconnect");
}
