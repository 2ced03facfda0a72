#include <doctest/doctest.h>

#include "client/output_formatter.hpp"

using namespace chat::client;
using nlohmann::json;
using Lines = std::vector<std::string>;

namespace {

// 2025-11-24 16:00:00 UTC
constexpr std::int64_t kTs = 1764000000000;

OutputFormatter plain() { return OutputFormatter({/*color=*/false, /*json=*/false, /*utc=*/true}); }

}  // namespace

TEST_CASE("a room message shows time, room, sender and text") {
  const json msg{{"type", "msg"}, {"room", "general"}, {"seq", 3}, {"from", "bob"}, {"ts", kTs}, {"text", "hi"}};
  CHECK(plain().event(msg) == Lines{"16:00 #general <bob> hi"});
}

TEST_CASE("GuestImpersonation: a guest's messages and direct messages show its name marked with ~") {
  const json msg{{"type", "msg"}, {"room", "general"}, {"seq", 3}, {"from", "bob"}, {"guest", true}, {"ts", kTs},
                 {"text", "hi"}};
  CHECK(plain().event(msg) == Lines{"16:00 #general <~bob> hi"});
  const json dm{{"type", "dm"}, {"from", "bob"}, {"guest", true}, {"to", "alice"}, {"ts", kTs}, {"text", "psst"}};
  CHECK(plain().event(dm) == Lines{"16:00 [dm ~bob -> alice] psst"});
  const json history{{"type", "ok"},
                     {"op", "history"},
                     {"room", "general"},
                     {"messages", {{{"seq", 1}, {"from", "bob"}, {"guest", true}, {"ts", kTs}, {"text", "a"}},
                                   {{"seq", 2}, {"from", "bob"}, {"ts", kTs}, {"text", "b"}}}}};
  CHECK(plain().reply(json{{"op", "history"}}, history) ==
        Lines{"16:00 #general <~bob> a", "16:00 #general <bob> b"});
}

TEST_CASE("other events read as sentences") {
  CHECK(plain().event(json{{"type", "dm"}, {"from", "bob"}, {"to", "alice"}, {"ts", kTs}, {"text", "psst"}}) ==
        Lines{"16:00 [dm bob -> alice] psst"});
  const auto presence = plain().event(json{{"type", "presence"}, {"room", "dev"}, {"user", "bob"}, {"action", "join"}});
  REQUIRE(presence.size() == 1);
  CHECK(presence[0].ends_with(" #dev -- bob joined"));
  const auto kicked = plain().event(json{{"type", "kicked"}, {"room", "dev"}, {"by", "carol"}, {"reason", "spam"}});
  CHECK(kicked[0].ends_with("#dev -- you were kicked by carol (spam)"));
  CHECK(plain().event(json{{"type", "error"}, {"code", "too_large"}, {"message", "line too long"}}) ==
        Lines{"error [too_large] line too long (from the server)"});
  CHECK(plain().event(json{{"type", "hello"}, {"server", "chat-server"}}).empty());
}

TEST_CASE("server errors are shown plainly with their code and what failed") {
  const json request{{"op", "join"}, {"id", 4}, {"room", "secret"}};
  const json reply{{"type", "error"}, {"op", "join"}, {"id", 4}, {"code", "forbidden"}, {"message", "private room"}};
  CHECK(plain().reply(request, reply) == Lines{"error [forbidden] private room (join #secret)"});
}

TEST_CASE("replies that carry results are listed; a send's reply is silent") {
  const json join_reply{{"type", "ok"}, {"op", "join"}, {"room", "general"}, {"topic", "Anything"}, {"replayed", 3}};
  CHECK(plain().reply(json{{"op", "join"}}, join_reply) ==
        Lines{"-- joined #general (topic: Anything), 3 missed messages"});
  CHECK(plain().reply(json{{"op", "send"}}, json{{"type", "ok"}, {"op", "send"}, {"seq", 4}}).empty());
  const json history{{"type", "ok"},
                     {"op", "history"},
                     {"room", "general"},
                     {"messages", json::array({json{{"seq", 1}, {"from", "a"}, {"ts", kTs}, {"text", "one"}},
                                               json{{"seq", 2}, {"from", "b"}, {"ts", kTs}, {"text", "two"}}})}};
  CHECK(plain().reply(json{{"op", "history"}}, history) ==
        Lines{"16:00 #general <a> one", "16:00 #general <b> two"});
  const json members{{"type", "ok"},
                     {"op", "members"},
                     {"room", "general"},
                     {"members", json::array({json{{"user", "alice"}, {"role", "owner"}, {"online", true}},
                                              json{{"user", "bob"}, {"role", "member"}, {"online", false}}})}};
  CHECK(plain().reply(json{{"op", "members"}}, members) ==
        Lines{"-- #general members: alice (owner), bob (offline)"});
  const json rooms{{"type", "ok"},
                   {"op", "rooms"},
                   {"rooms", json::array({json{{"room", "general"}, {"topic", "T"}, {"private", false},
                                               {"members", 12}, {"online", 5}}})}};
  CHECK(plain().reply(json{{"op", "rooms"}}, rooms) == Lines{"-- 1 room:", "   #general  5/12 online  T"});
  // A sent direct message is echoed from the request's text.
  CHECK(plain().reply(json{{"op", "dm"}, {"to", "bob"}, {"text", "lunch?"}},
                      json{{"type", "ok"}, {"op", "dm"}, {"to", "bob"}, {"ts", kTs}}) ==
        Lines{"16:00 [dm -> bob] lunch?"});
}

TEST_CASE("control characters from other users cannot reach the terminal") {
  const json msg{{"type", "msg"}, {"room", "r"}, {"from", "eve"}, {"ts", kTs}, {"text", "a\033[2Jb\nc\x07"}};
  CHECK(plain().event(msg) == Lines{"16:00 #r <eve> a?[2Jb c?"});
}

TEST_CASE("colours only when asked for") {
  const json msg{{"type", "msg"}, {"room", "r"}, {"from", "bob"}, {"ts", kTs}, {"text", "hi"}};
  const OutputFormatter colored({/*color=*/true, /*json=*/false, /*utc=*/true});
  const auto line = colored.event(msg).at(0);
  CHECK(line.find('\033') != std::string::npos);
  CHECK(line.find("hi") != std::string::npos);
  CHECK(plain().event(msg).at(0).find('\033') == std::string::npos);
}

TEST_CASE("JSON mode passes events and replies through as single lines") {
  const OutputFormatter json_mode({false, true, true});
  const json msg{{"type", "msg"}, {"room", "r"}, {"from", "bob"}, {"ts", kTs}, {"text", "hi\nthere"}};
  const auto lines = json_mode.event(msg);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find('\n') == std::string::npos);
  CHECK(json::parse(lines[0]) == msg);
  const json reply{{"type", "ok"}, {"op", "send"}, {"seq", 4}};
  CHECK(json::parse(json_mode.reply(json{{"op", "send"}}, reply).at(0)) == reply);
}

TEST_CASE("a join of a room that does not exist says how to create it") {
  const json request{{"op", "join"}, {"id", 5}, {"room", "missing"}};
  const json reply{{"type", "error"}, {"op", "join"}, {"id", 5}, {"code", "not_found"}, {"message", "no room 'missing'"}};
  CHECK(plain().reply(request, reply) ==
        Lines{"error [not_found] no room 'missing' (join #missing)", "-- /create #missing makes one"});
  auto guest = plain();
  guest.set_guest(true);
  CHECK(guest.reply(request, reply) ==
        Lines{"error [not_found] no room 'missing' (join #missing)",
              "-- a guest can /create #missing only where the server lets guests create rooms"});
  // Other not_found replies, and JSON output, are unchanged.
  const json who{{"op", "members"}, {"id", 6}, {"room", "missing"}};
  CHECK(plain().reply(who, reply).size() == 1);
  const OutputFormatter as_json({/*color=*/false, /*json=*/true, /*utc=*/true});
  CHECK(as_json.reply(request, reply).size() == 1);
}

TEST_CASE("interactively, /history is framed and a message from another day shows its date") {
  const OutputFormatter person({/*color=*/false, /*json=*/false, /*utc=*/true, /*interactive=*/true});
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const json history{{"type", "ok"},
                     {"op", "history"},
                     {"room", "general"},
                     {"messages", json::array({json{{"seq", 1}, {"from", "a"}, {"ts", kTs}, {"text", "one"}},
                                               json{{"seq", 2}, {"from", "b"}, {"ts", now_ms}, {"text", "two"}}})}};
  const auto lines = person.reply(json{{"op", "history"}}, history);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "-- history of #general, 2 messages:");
  CHECK(lines[1] == "2025-11-24 16:00 #general <a> one");
  CHECK(lines[2].size() == std::string("16:00 #general <b> two").size());  // today: the time alone
  CHECK(lines[2].ends_with(" #general <b> two"));
  CHECK(lines[3] == "-- end of history of #general");
  // Scripts keep the unframed, undated lines.
  CHECK(plain().reply(json{{"op", "history"}}, history).size() == 2);
  CHECK(plain().reply(json{{"op", "history"}}, history)[0] == "16:00 #general <a> one");
}

TEST_CASE("an action reads '* alice waves' wherever messages are shown: live, replayed, in history, in a DM") {
  const json msg{{"type", "msg"}, {"room", "general"}, {"seq", 3}, {"from", "alice"},
                 {"ts", kTs}, {"text", "waves"}, {"kind", "action"}};
  CHECK(plain().event(msg) == Lines{"16:00 #general * alice waves"});
  auto replayed = msg;
  replayed["replay"] = true;
  CHECK(plain().event(replayed) == Lines{"16:00 #general * alice waves"});
  const json guest{{"type", "msg"}, {"room", "general"}, {"seq", 4}, {"from", "bob"}, {"guest", true},
                   {"ts", kTs}, {"text", "nods"}, {"kind", "action"}};
  CHECK(plain().event(guest) == Lines{"16:00 #general * ~bob nods"});
  const json history{{"type", "ok"}, {"op", "history"}, {"room", "general"},
                     {"messages", {{{"seq", 1}, {"from", "bob"}, {"ts", kTs}, {"text", "sighs"}, {"kind", "action"}},
                                   {{"seq", 2}, {"from", "bob"}, {"ts", kTs}, {"text", "plain"}}}}};
  CHECK(plain().reply(json{{"op", "history"}}, history) ==
        Lines{"16:00 #general * bob sighs", "16:00 #general <bob> plain"});
  const json dm{{"type", "dm"}, {"from", "bob"}, {"to", "alice"}, {"ts", kTs}, {"text", "shrugs"}, {"kind", "action"}};
  CHECK(plain().event(dm) == Lines{"16:00 [dm bob -> alice] * bob shrugs"});
  auto formatter = plain();
  formatter.set_user("alice");
  CHECK(formatter.reply(json{{"op", "dm"}, {"to", "bob"}, {"text", "waves"}, {"kind", "action"}},
                        json{{"type", "ok"}, {"op", "dm"}, {"to", "bob"}, {"ts", kTs}}) ==
        Lines{"16:00 [dm -> bob] * alice waves"});
  // A kind this client does not know is shown as text; an action's text is stripped of control characters too.
  auto odd = msg;
  odd["kind"] = "sparkle";
  CHECK(plain().event(odd) == Lines{"16:00 #general <alice> waves"});
  auto hostile = msg;
  hostile["text"] = "waves\033[2J";
  CHECK(plain().event(hostile) == Lines{"16:00 #general * alice waves?[2J"});
}

TEST_CASE("whois says whether the user has an account, is online, and the rooms in common") {
  const json request{{"op", "whois"}, {"user", "bob"}};
  CHECK(plain().reply(request, json{{"type", "ok"}, {"op", "whois"}, {"user", "bob"}, {"registered", true},
                                    {"online", true}, {"rooms", {"general", "dev"}}}) ==
        Lines{"-- bob has an account, online; rooms in common: #general, #dev"});
  CHECK(plain().reply(request, json{{"type", "ok"}, {"op", "whois"}, {"user", "bob"}, {"registered", false},
                                    {"online", false}, {"rooms", json::array()}}) ==
        Lines{"-- bob is a guest, offline, no rooms in common"});
  CHECK(plain().reply(request, json{{"type", "error"}, {"code", "not_found"}, {"message", "no user 'bob'"}}) ==
        Lines{"error [not_found] no user 'bob' (whois bob)"});
}
