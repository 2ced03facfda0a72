#include <doctest/doctest.h>

#include "client/request_builder.hpp"

using namespace chat::client;
using nlohmann::json;

namespace {

json build(std::string_view line, std::string_view current_room = "general",
           std::optional<std::int64_t> since = std::nullopt) {
  auto parsed = parse_line(line);
  REQUIRE(std::holds_alternative<Command>(parsed));
  auto request = build_request(std::get<Command>(parsed), current_room, since);
  if (const auto* error = std::get_if<UsageError>(&request)) FAIL(error->message);
  return std::get<json>(request);
}

}  // namespace

TEST_CASE("commands become the protocol's requests") {
  CHECK(build("/join #dev") == json{{"op", "join"}, {"room", "dev"}});
  CHECK(build("/join #dev", "general", 41) == json{{"op", "join"}, {"room", "dev"}, {"since", 41}});
  CHECK(build("/rooms") == json{{"op", "rooms"}});
  CHECK(build("/who") == json{{"op", "members"}, {"room", "general"}});
  CHECK(build("/create #s --private Topic here") ==
        json{{"op", "create"}, {"room", "s"}, {"private", true}, {"topic", "Topic here"}});
  CHECK(build("/topic") == json{{"op", "topic"}, {"room", "general"}});
  CHECK(build("/topic New one") == json{{"op", "topic"}, {"room", "general"}, {"topic", "New one"}});
  CHECK(build("/invite bob #s") == json{{"op", "invite"}, {"room", "s"}, {"user", "bob"}});
  CHECK(build("/kick bob rude") == json{{"op", "kick"}, {"room", "general"}, {"user", "bob"}, {"reason", "rude"}});
  CHECK(build("/ban bob") == json{{"op", "ban"}, {"room", "general"}, {"user", "bob"}});
  CHECK(build("/unban bob") == json{{"op", "unban"}, {"room", "general"}, {"user", "bob"}});
  CHECK(build("/mod bob") == json{{"op", "moderator"}, {"room", "general"}, {"user", "bob"}, {"grant", true}});
  CHECK(build("/unmod bob") == json{{"op", "moderator"}, {"room", "general"}, {"user", "bob"}, {"grant", false}});
  CHECK(build("/msg bob hi") == json{{"op", "dm"}, {"to", "bob"}, {"text", "hi"}});
  CHECK(build("/query bob hi") == json{{"op", "dm"}, {"to", "bob"}, {"text", "hi"}});
  CHECK(build("/query bob hi", "")["op"] == "dm");
  CHECK(build("/part") == json{{"op", "leave"}, {"room", "general"}});
  CHECK(build("/names #dev") == json{{"op", "members"}, {"room", "dev"}});
  CHECK(build("/list") == json{{"op", "rooms"}});
  CHECK(build("/leave") == json{{"op", "leave"}, {"room", "general"}});
}

TEST_CASE("/history asks for 20 messages by default and never more than the protocol allows") {
  CHECK(build("/history") == json{{"op", "history"}, {"room", "general"}, {"limit", 20}});
  CHECK(build("/history #dev 5")["limit"] == 5);
  CHECK(build("/history 5000")["limit"] == 100);
}

TEST_CASE("a page of missed messages asks for as many as the protocol allows, between two seqs") {
  CHECK(history_page_request("dev", 10, 46) ==
        json{{"op", "history"}, {"room", "dev"}, {"after", 10}, {"before", 46}, {"limit", 100}});
}

TEST_CASE("a command that needs a room fails without a current room") {
  auto parsed = parse_line("/who");
  const auto request = build_request(std::get<Command>(parsed), "");
  REQUIRE(std::holds_alternative<UsageError>(request));
  CHECK(std::get<UsageError>(request).message.find("no current room") != std::string::npos);
  // Commands that need no room work anywhere.
  CHECK(build("/rooms", "") == json{{"op", "rooms"}});
  CHECK(build("/msg bob hi", "")["op"] == "dm");
}

TEST_CASE("auth requests, and the credentials kept for reconnecting") {
  CHECK(auth_request({AuthMode::Guest, "visitor", ""}) == json{{"op", "guest"}, {"name", "visitor"}});
  const auto registration = auth_request({AuthMode::Register, "alice", "correct horse"});
  CHECK(registration == json{{"op", "register"}, {"name", "alice"}, {"password", "correct horse"}});
  // After registering, the next connection logs in to the new account.
  const auto again = credentials_from(registration);
  CHECK(again.mode == AuthMode::Login);
  CHECK(again.name == "alice");
  CHECK(again.password == "correct horse");
  CHECK(credentials_from(json{{"op", "guest"}, {"name", "v"}}).mode == AuthMode::Guest);
}

TEST_CASE("/me is an action in the current room, /whois asks about a user; plain text carries no kind") {
  CHECK(build("/me waves") == json{{"op", "send"}, {"room", "general"}, {"text", "waves"}, {"kind", "action"}});
  CHECK(build("/whois Bob", "") == json{{"op", "whois"}, {"user", "bob"}});
  CHECK(dm_request("bob", "waves", MessageKind::Action) ==
        json{{"op", "dm"}, {"to", "bob"}, {"text", "waves"}, {"kind", "action"}});
  CHECK(send_request("general", "hi") == json{{"op", "send"}, {"room", "general"}, {"text", "hi"}});
  CHECK(build("/msg bob hi") == json{{"op", "dm"}, {"to", "bob"}, {"text", "hi"}});
}
