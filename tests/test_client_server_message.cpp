#include <doctest/doctest.h>

#include "client/server_fields.hpp"
#include "client/server_message.hpp"

using namespace chat::client;
using nlohmann::json;

TEST_CASE("every event the protocol defines passes with its fields, and fails without one") {
  const json msg{{"type", "msg"}, {"room", "r"}, {"seq", 3}, {"from", "bob"}, {"ts", 0}, {"text", "hi"}};
  CHECK_FALSE(malformation(msg));
  for (const auto* field : {"room", "seq", "from", "text"}) {
    auto broken = msg;
    broken.erase(field);
    CHECK(malformation(broken).has_value());
    broken[field] = json::array();
    CHECK(malformation(broken).has_value());
  }
  CHECK_FALSE(malformation(json{{"type", "hello"}, {"protocol", 1}}));
  CHECK_FALSE(malformation(json{{"type", "shutdown"}}));
  CHECK_FALSE(malformation(json{{"type", "error"}, {"code", "overloaded"}, {"message", "full"}}));
  CHECK(*malformation(json{{"type", "error"}, {"code", 1}, {"message", "x"}}) == "error without a string \"code\"");
  CHECK(*malformation(json{{"type", "msg"}, {"room", "r"}, {"seq", "7"}, {"from", "b"}, {"text", "t"}}) ==
        "msg without an integer \"seq\"");
}

TEST_CASE("lines that are not protocol messages say why") {
  CHECK(*malformation(json::array()) == "not a JSON object");
  CHECK(*malformation(json::value_t::discarded) == "not a JSON object");
  CHECK(*malformation(json{{"type", 5}}) == "no string \"type\"");
  CHECK(*malformation(json{{"text", "x"}}) == "no string \"type\"");
  CHECK(*malformation(json{{"type", "brand-new"}}) == "unknown type \"brand-new\"");
  CHECK(*malformation(json{{"type", "ok"}, {"id", "7"}}) == "ok without an integer \"id\"");
}

TEST_CASE("replies are told from events") {
  CHECK(is_reply(json{{"type", "ok"}, {"id", 1}}));
  CHECK(is_reply(json{{"type", "pong"}, {"id", 1}}));
  CHECK(is_reply(json{{"type", "error"}, {"id", 1}, {"code", "x"}, {"message", "y"}}));
  CHECK_FALSE(is_reply(json{{"type", "error"}, {"code", "x"}, {"message", "y"}}));
  CHECK_FALSE(is_reply(json{{"type", "msg"}, {"id", 1}}));
}

TEST_CASE("a line sample is short, printable and never splits a character") {
  CHECK(line_sample("short\x1b[31m") == "short?[31m");
  const std::string long_line = std::string(kLineSampleBytes - 1, 'a') + "\xc3\xa9" + "tail";
  const auto sample = line_sample(long_line);
  CHECK(sample == std::string(kLineSampleBytes - 1, 'a') + "...");
}

TEST_CASE("fields of the wrong type read as absent") {
  const json message{{"s", 1}, {"i", "1"}, {"b", "true"}, {"a", "[]"}, {"big", 18446744073709551615ULL}};
  CHECK(string_field(message, "s").empty());
  CHECK_FALSE(int_field(message, "i"));
  CHECK_FALSE(int_field(message, "big"));
  CHECK_FALSE(bool_field(message, "b"));
  CHECK(array_field(message, "a").empty());
  CHECK(string_field(json::array(), "s").empty());
  CHECK(int_field(json{{"i", -3}}, "i") == -3);
}

TEST_CASE("TerminalInjection: C1 controls and bidirectional overrides in server text are shown as '?'") {
  using chat::client::printable;
  CHECK(printable("a\u009B2Jb") == "a?2Jb");            // C1 CSI
  CHECK(printable("x\u0085y\u009Fz") == "x?y?z");       // NEL, APC
  CHECK(printable("evil\u202Egnp.exe") == "evil?gnp.exe");  // right-to-left override
  CHECK(printable("\u2066isolated\u2069") == "?isolated?");
  CHECK(printable("caf\u00E9 \u00A0 \u20AC \u2028") == "caf\u00E9 \u00A0 \u20AC \u2028");  // the rest passes
  CHECK(printable("\xC2") == "\xC2");  // a cut sequence is left to the terminal's replacement character
}
