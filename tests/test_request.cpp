#include <doctest/doctest.h>

#include "common/frames.hpp"
#include "common/names.hpp"
#include "common/request.hpp"

using chat::ErrorCode;
using chat::RequestError;

namespace {

ErrorCode parse_error_code(std::string_view line) {
  try {
    chat::parse_request(line);
  } catch (const RequestError& e) {
    return e.code();
  }
  FAIL("expected a RequestError for: " << line);
  return ErrorCode::Internal;
}

}  // namespace

TEST_CASE("a well-formed request exposes op, id and typed fields") {
  auto request = chat::parse_request(R"({"op":"send","id":7,"room":"general","text":"hi","since":3,"private":true})");
  CHECK(request.op() == "send");
  CHECK(request.id() == 7);
  CHECK(request.required_string("room") == "general");
  CHECK(request.optional_int("since") == 3);
  CHECK(request.optional_bool("private", false));
  CHECK_FALSE(request.optional_string("cid").has_value());
  CHECK(request.optional_bool("missing", true));
}

TEST_CASE("malformed input is a bad_request") {
  CHECK(parse_error_code("{not json") == ErrorCode::BadRequest);
  CHECK(parse_error_code("[1,2]") == ErrorCode::BadRequest);
  CHECK(parse_error_code("42") == ErrorCode::BadRequest);
  CHECK(parse_error_code(R"({"op":1})") == ErrorCode::BadRequest);
  CHECK(parse_error_code(R"({"id":1})") == ErrorCode::BadRequest);
  CHECK(parse_error_code(R"({"op":"ping","id":[1]})") == ErrorCode::BadRequest);
  CHECK(parse_error_code("{\"op\":\"send\",\"text\":\"\xC3\x28\"}") == ErrorCode::BadRequest);
  CHECK(parse_error_code(R"({"op":"ping"} {"op":"ping"})") == ErrorCode::BadRequest);
}

TEST_CASE("NulSmuggling: a NUL byte anywhere in a line makes the whole line bad_request") {
  using namespace std::string_view_literals;
  CHECK(parse_error_code("{\"op\":\"ping\",\"id\":\"x\"}\0{\"op\":\"nope\"}"sv) == ErrorCode::BadRequest);
  CHECK(parse_error_code("{\"op\":\"ping\"}\0"sv) == ErrorCode::BadRequest);
  CHECK(parse_error_code("{\"op\":\"ping\",\"pad\":\"a\0b\"}"sv) == ErrorCode::BadRequest);
}

TEST_CASE("NulInText: a string field holding \\u0000 is bad_request, naming the field") {
  const auto request = chat::parse_request(R"({"op":"send","room":"general","text":"a\u0000b","cid":"ok"})");
  CHECK(request.optional_string("cid") == "ok");
  try {
    request.required_string("text");
    FAIL("expected an error");
  } catch (const chat::ProtocolError& e) {
    CHECK(e.code() == ErrorCode::BadRequest);
    CHECK(std::string(e.what()) == "field 'text' must be a string without U+0000");
  }
}

TEST_CASE("a duplicated key: the last occurrence wins") {
  CHECK(chat::parse_request(R"({"op":"nope","op":"ping"})").op() == "ping");
}

TEST_CASE("the id survives a request error so the reply can be matched") {
  try {
    chat::parse_request(R"({"id":"abc","op":5})");
    FAIL("expected an error");
  } catch (const RequestError& e) {
    CHECK(e.id() == "abc");
  }
}

TEST_CASE("wrongly typed fields name the field") {
  auto request = chat::parse_request(R"({"op":"join","room":5,"since":"x","private":"yes"})");
  CHECK_THROWS_WITH_AS(request.required_string("room"), "field 'room' must be a string", chat::ProtocolError);
  CHECK_THROWS_WITH_AS(request.optional_int("since"), "field 'since' must be an integer", chat::ProtocolError);
  CHECK_THROWS_AS(request.optional_bool("private", false), chat::ProtocolError);
  CHECK_THROWS_WITH_AS(request.required_string("text"), "missing field 'text'", chat::ProtocolError);
}

TEST_CASE("names are canonical lowercase and follow the rules") {
  CHECK(chat::canonical_user_name("Alice_1.x-y") == "alice_1.x-y");
  CHECK(chat::canonical_room_name("#General") == "general");
  CHECK_FALSE(chat::canonical_user_name("").has_value());
  CHECK_FALSE(chat::canonical_user_name("has space").has_value());
  CHECK_FALSE(chat::canonical_user_name("#alice").has_value());
  CHECK_FALSE(chat::canonical_user_name(std::string(33, 'a')).has_value());
  CHECK(chat::canonical_user_name(std::string(32, 'a')).has_value());
  CHECK_FALSE(chat::canonical_room_name("#").has_value());
  CHECK_FALSE(chat::canonical_user_name("caf\xC3\xA9").has_value());
}

TEST_CASE("frames are single JSON lines with the documented shape") {
  auto ok = chat::to_line(chat::ok_reply("ping", 3));
  CHECK(ok.back() == '\n');
  CHECK(ok.find('\n') == ok.size() - 1);
  auto parsed = nlohmann::json::parse(ok);
  CHECK(parsed["type"] == "ok");
  CHECK(parsed["id"] == 3);
  auto error = nlohmann::json::parse(chat::to_line(chat::error_reply(ErrorCode::TooLarge, "line too long")));
  CHECK(error["code"] == "too_large");
  CHECK_FALSE(error.contains("id"));
  // Invalid UTF-8 in a string never throws on output.
  auto text = chat::to_line(nlohmann::json{{"text", std::string("\xFF")}});
  CHECK(text.back() == '\n');
}
