// What a queued frame is counted as against a connection's outbound limit: what it really holds.
#include <doctest/doctest.h>

#include <string>

#include "common/frames.hpp"

TEST_CASE("SlowConsumerMemory: a frame is counted by its buffer and its bookkeeping, not by its text alone") {
  const std::string small = R"({"type":"pong","time":1}\n)";
  const auto frame = chat::make_frame(small);
  // A queue of small frames would otherwise hold about twice what the limit says.
  CHECK(chat::frame_cost(*frame) >= frame->capacity() + 48 + 16);
  CHECK(chat::frame_cost(*frame) > 2 * frame->size());
}

TEST_CASE("SlowConsumerMemory: a frame grown past its text is trimmed before it is queued") {
  std::string lines;
  lines.reserve(128 * 1024);  // as a broadcast frame whose last line overfilled it
  lines.append(64 * 1024, 'x');
  const auto frame = chat::make_frame(std::move(lines));
  CHECK(frame->size() == 64 * 1024);
  CHECK(frame->capacity() < 64 * 1024 + 64 * 1024 / 8);
  CHECK(chat::frame_cost(*frame) < 2 * 64 * 1024);
}

TEST_CASE("a frame with little slack is queued as it is") {
  std::string lines;
  lines.reserve(1001);
  lines.assign(1000, 'y');
  lines.push_back('\n');
  const auto* data = lines.data();
  const auto frame = chat::make_frame(std::move(lines));
  CHECK(frame->data() == data);  // not copied
}
