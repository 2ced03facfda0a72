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

TEST_CASE("long ASCII runs around multi-byte and invalid sequences, at every offset") {
  for (std::size_t before = 0; before <= 17; ++before) {
    for (std::size_t after = 0; after <= 17; after += 3) {
      const std::string head(before, 'a');
      const std::string tail(after, 'z');
      CAPTURE(before);
      CAPTURE(after);
      CHECK(chat::utf8_length(head + tail) == before + after);
      CHECK(chat::utf8_length(head + "\xE2\x82\xAC" + tail) == before + 1 + after);            // €
      CHECK(chat::utf8_length(head + "\xF0\x9F\x98\x80\xC3\xA9" + tail) == before + 2 + after);
      CHECK_FALSE(chat::is_valid_utf8(head + "\x80" + tail));                                // stray continuation
      CHECK_FALSE(chat::is_valid_utf8(head + "\xC0\xAF" + tail));                            // overlong
      CHECK_FALSE(chat::is_valid_utf8(head + "\xED\xA0\x80" + tail));                        // surrogate
      CHECK_FALSE(chat::is_valid_utf8(head + tail + "\xE2\x82"));                            // truncated at the end
      CHECK_FALSE(chat::is_valid_utf8(head + "\xFF" + tail));
    }
  }
}
