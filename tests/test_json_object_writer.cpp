#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "common/json_object_writer.hpp"

namespace {

// Every byte 0..127 alone and inside text, quotes and backslashes, multi-byte UTF-8, invalid UTF-8.
std::vector<std::string> awkward_strings() {
  std::vector<std::string> strings{"",
                                   "plain",
                                   "say \"hi\"",
                                   "back\\slash",
                                   "tab\there\nnewline\r\n",
                                   "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80",
                                   "del\x7F",
                                   "bad \xC3 utf-8",
                                   "\xFF\xFE",
                                   "overlong \xC0\xAF",
                                   "surrogate \xED\xA0\x80 end",
                                   std::string("nul\0inside", 10)};
  for (int c = 0; c < 128; ++c) {
    strings.push_back(std::string(1, static_cast<char>(c)));
    strings.push_back("a" + std::string(1, static_cast<char>(c)) + "b");
  }
  return strings;
}

}  // namespace

TEST_CASE("a string is escaped byte for byte as nlohmann::json dumps it, invalid UTF-8 included") {
  for (const auto& text : awkward_strings()) {
    CAPTURE(nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
    std::string written;
    chat::append_json_string(written, text);
    CHECK(written == nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

TEST_CASE("an object written with sorted keys is the line to_line() makes of the same document") {
  for (const auto& text : awkward_strings()) {
    for (const std::int64_t number : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1733100000123},
                                      std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max()}) {
      const nlohmann::json id = nlohmann::json::array({1, "x", nullptr});
      std::string line;
      chat::JsonObjectWriter writer(line);
      writer.boolean("flag", false);
      writer.json("id", id);
      writer.integer("n", number);
      writer.boolean("on", true);
      writer.string("text", text);
      writer.end_line();

      const nlohmann::json document{{"flag", false}, {"id", id}, {"n", number}, {"on", true}, {"text", text}};
      CHECK(line == chat::to_line(document));
    }
  }
}

TEST_CASE("an empty object is a valid line, and what is written parses back") {
  std::string line;
  chat::JsonObjectWriter(line).end_line();
  CHECK(line == "{}\n");

  line.clear();
  chat::JsonObjectWriter writer(line);
  writer.string("k\"ey", "v\x01");
  writer.integer("seq", 42);
  writer.end_line();
  const auto parsed = nlohmann::json::parse(line);
  CHECK(parsed.at("k\"ey") == "v\x01");
  CHECK(parsed.at("seq") == 42);
  CHECK(line.back() == '\n');
}
