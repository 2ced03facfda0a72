#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/line_framer.hpp"

using chat::LineFramer;

namespace {

std::vector<std::string> drain(LineFramer& framer) {
  std::vector<std::string> lines;
  while (auto line = framer.next_line()) lines.emplace_back(*line);
  return lines;
}

}  // namespace

TEST_CASE("lines split on newline, CR dropped, partial line kept") {
  LineFramer framer(100);
  REQUIRE(framer.append("one\ntwo\r\nthr") == LineFramer::Status::Ok);
  CHECK(drain(framer) == std::vector<std::string>{"one", "two"});
  REQUIRE(framer.append("ee\n\n") == LineFramer::Status::Ok);
  CHECK(drain(framer) == std::vector<std::string>{"three", ""});
  CHECK(framer.buffered_bytes() == 0);
}

TEST_CASE("byte-by-byte delivery yields the same lines") {
  LineFramer framer(100);
  const std::string stream = "{\"op\":\"ping\"}\nsecond line\n";
  std::vector<std::string> lines;
  for (char c : stream) {
    REQUIRE(framer.append(std::string_view(&c, 1)) == LineFramer::Status::Ok);
    for (auto l = drain(framer); auto& s : l) lines.push_back(s);
  }
  CHECK(lines == std::vector<std::string>{"{\"op\":\"ping\"}", "second line"});
}

TEST_CASE("a line of exactly the limit passes, one byte more fails") {
  LineFramer framer(8);
  REQUIRE(framer.append("12345678\n") == LineFramer::Status::Ok);
  CHECK(drain(framer) == std::vector<std::string>{"12345678"});
  REQUIRE(framer.append("12345678\r\n") == LineFramer::Status::Ok);
  CHECK(drain(framer) == std::vector<std::string>{"12345678"});
  framer.append("123456789\n");
  CHECK(drain(framer).empty());
  CHECK(framer.failed());
}

TEST_CASE("PayloadLimitBypass: an unterminated line is refused before it grows past the limit") {
  LineFramer framer(1024);
  const std::string chunk(512, 'x');
  CHECK(framer.append(chunk) == LineFramer::Status::Ok);
  CHECK(framer.append(chunk) == LineFramer::Status::Ok);
  CHECK(framer.append(chunk) == LineFramer::Status::TooLarge);
  CHECK(framer.buffered_bytes() <= 1024 + 512);
  // Once failed, the framer stays failed: the stream cannot be resynchronised.
  CHECK(framer.append("\nok\n") == LineFramer::Status::TooLarge);
  CHECK_FALSE(framer.next_line().has_value());
}

TEST_CASE("an oversized line hidden among good lines in one read is caught") {
  LineFramer framer(4);
  REQUIRE(framer.append("ab\ntoolong\ncd\n") == LineFramer::Status::Ok);
  auto first = framer.next_line();
  REQUIRE(first);
  CHECK(*first == "ab");
  CHECK_FALSE(framer.next_line().has_value());
  CHECK(framer.failed());
}

TEST_CASE("complete lines that arrive before an over-long tail are still handed out") {
  LineFramer framer(8);
  CHECK(framer.append("ok\nfine\n" + std::string(20, 'x')) == LineFramer::Status::TooLarge);
  CHECK(framer.failed());
  CHECK(drain(framer) == std::vector<std::string>{"ok", "fine"});
  CHECK_FALSE(framer.next_line().has_value());
}

TEST_CASE("has_partial_line tells whether a line has begun") {
  LineFramer framer(64);
  CHECK_FALSE(framer.has_partial_line());
  framer.append("{\"op\"");
  CHECK(framer.has_partial_line());
  framer.append(":\"ping\"}\n");
  CHECK(drain(framer).size() == 1);
  CHECK_FALSE(framer.has_partial_line());
}
