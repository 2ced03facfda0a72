// The buffer model alone, no terminal: unread counts, highlights, the
// status line, the bound on scrollback, numbering.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "client/buffer_list.hpp"

using namespace chat::client;

TEST_CASE("a line for a buffer not shown raises its unread count; showing it clears the count") {
  BufferList buffers;
  const auto general = buffers.open(BufferKind::Room, "general");
  const auto dev = buffers.open(BufferKind::Room, "dev");
  CHECK(general == 2);
  CHECK(dev == 3);
  CHECK(buffers.open(BufferKind::Room, "general") == 2);
  REQUIRE(buffers.select(general));
  CHECK(buffers.add(general, "here", Activity::Message));  // shown: to print now
  CHECK_FALSE(buffers.add(dev, "one", Activity::Message));
  CHECK_FALSE(buffers.add(dev, "two", Activity::Message));
  CHECK_FALSE(buffers.add(dev, "bob joined", Activity::Quiet));
  CHECK(buffers.at(general).unread == 0);
  CHECK(buffers.at(dev).unread == 2);
  CHECK(buffers.at(dev).lines.size() == 3);
  CHECK(buffers.status_line() == "[2:#general] 3:#dev(2)");
  REQUIRE(buffers.select(dev));
  CHECK(buffers.at(dev).unread == 0);
  CHECK(buffers.status_line() == "[3:#dev]");
  CHECK_FALSE(buffers.select(9));
  CHECK(buffers.current() == dev);
}

TEST_CASE("a highlight marks the buffer with '!' until it is shown") {
  BufferList buffers;
  const auto general = buffers.open(BufferKind::Room, "general");
  const auto bob = buffers.open(BufferKind::Dm, "bob");
  buffers.add(general, "chatter", Activity::Message);
  buffers.add(general, "alice: look", Activity::Highlight);
  buffers.add(general, "more chatter", Activity::Message);
  buffers.add(bob, "psst", Activity::Highlight);
  CHECK(buffers.at(general).highlight);
  CHECK(buffers.status_line() == "[1:status] 2:#general(3!) 3:bob(1!)");
  buffers.select(general);
  CHECK_FALSE(buffers.at(general).highlight);
  CHECK(buffers.status_line() == "[2:#general] 3:bob(1!)");
  // A highlight in the buffer shown is seen as it comes: nothing to mark.
  CHECK(buffers.add(general, "alice!", Activity::Highlight));
  CHECK_FALSE(buffers.at(general).highlight);
}

TEST_CASE("ScrollbackFlood: a buffer keeps only its last lines") {
  BufferList buffers(3);
  const auto general = buffers.open(BufferKind::Room, "general");
  for (int i = 1; i <= 10; ++i) buffers.add(general, "line " + std::to_string(i), Activity::Message);
  const auto& lines = buffers.at(general).lines;
  REQUIRE(lines.size() == 3);
  CHECK(lines.front() == "line 8");
  CHECK(lines.back() == "line 10");
  CHECK(buffers.at(general).unread == 10);  // the count is of lines that came, not kept
}

TEST_CASE("closing a buffer renumbers those after it; the status buffer stays; next and previous wrap") {
  BufferList buffers;
  buffers.open(BufferKind::Room, "general");
  buffers.open(BufferKind::Dm, "bob");
  buffers.open(BufferKind::Room, "dev");
  buffers.select(3);
  CHECK(buffers.next() == 4);
  CHECK(buffers.previous() == 2);
  CHECK(buffers.close(3));  // the one shown: the one before it is shown
  CHECK(buffers.current() == 2);
  CHECK(buffers.find(BufferKind::Room, "dev") == 3u);
  CHECK_FALSE(buffers.find(BufferKind::Dm, "bob"));
  CHECK_FALSE(buffers.close(1));
  CHECK_FALSE(buffers.close(7));
  buffers.select(3);
  CHECK(buffers.next() == 1);
  buffers.select(1);
  CHECK(buffers.previous() == 3);
  // A room and a user of the same name are two buffers.
  CHECK(buffers.open(BufferKind::Dm, "dev") == 4);
  CHECK(buffers.at(4).label() == "dev");
  CHECK(buffers.at(3).label() == "#dev");
}

TEST_CASE("DmFlood: names a peer makes up open at most max_buffers; the rest go to the status buffer") {
  BufferList buffers(BufferList::kDefaultScrollback, 5);
  for (int i = 0; i < 4; ++i) CHECK(buffers.open(BufferKind::Dm, "guest" + std::to_string(i)) == 2u + i);
  CHECK(buffers.size() == 5);
  for (int i = 4; i < 1000; ++i) CHECK(buffers.open(BufferKind::Dm, "guest" + std::to_string(i)) == BufferList::kStatus);
  CHECK(buffers.size() == 5);
  CHECK(buffers.open(BufferKind::Dm, "guest2") == 4u);  // an open one is still found
  CHECK(buffers.close(4));
  CHECK(buffers.open(BufferKind::Room, "general") == 5u);  // a closed one's place can be taken again
}

TEST_CASE("the status line names at most kStatusLineEntries buffers, highlights first, and counts the rest") {
  BufferList buffers;
  std::vector<std::size_t> numbers;
  for (int i = 0; i < 15; ++i) numbers.push_back(buffers.open(BufferKind::Dm, "u" + std::to_string(i)));
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    buffers.add(numbers[i], "hi", i == 14 ? Activity::Highlight : Activity::Message);
  }
  const auto line = buffers.status_line();
  INFO(line);
  CHECK(line.starts_with("[1:status] 2:u0(1) "));
  CHECK(line.find("16:u14(1!)") != std::string::npos);  // the highlight, although last
  CHECK(line.find("11:u9(1)") == std::string::npos);    // past the ten named
  CHECK(line.ends_with(" +5 more"));
}
