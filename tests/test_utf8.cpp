#include <doctest/doctest.h>

#include <string>

#include "common/utf8.hpp"

TEST_CASE("valid UTF-8 is accepted and counted in code points") {
  CHECK(chat::is_valid_utf8(""));
  CHECK(chat::is_valid_utf8("plain ascii"));
  CHECK(chat::utf8_length("h\xC3\xA9llo") == 5);            // é
  CHECK(chat::utf8_length("\xE2\x82\xAC") == 1);            // €
  CHECK(chat::utf8_length("\xF0\x9F\x98\x80 ok") == 4);     // emoji
}

TEST_CASE("invalid UTF-8 is rejected") {
  CHECK_FALSE(chat::is_valid_utf8("\xC3"));                  // truncated
  CHECK_FALSE(chat::is_valid_utf8("\xC0\xAF"));              // overlong '/'
  CHECK_FALSE(chat::is_valid_utf8("\xED\xA0\x80"));          // surrogate
  CHECK_FALSE(chat::is_valid_utf8("\xF4\x90\x80\x80"));      // above U+10FFFF
  CHECK_FALSE(chat::is_valid_utf8("\xFF"));
  CHECK_FALSE(chat::is_valid_utf8("ok\x80"));                // stray continuation
  CHECK_FALSE(chat::utf8_length("\xE2\x82").has_value());
}
