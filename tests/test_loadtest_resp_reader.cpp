// The RESP2 reader of chat-loadtest's Redis mode, fed the way sockets feed
// it: pushes split at every byte, many per read, bulk strings holding any
// bytes, and streams that break the protocol or its limits.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "loadtest/resp_reader.hpp"

using chat::loadtest::RespReader;
using Type = RespReader::Type;

namespace {

// What a reply said, copied out of the reader's views.
struct Seen {
  Type type;
  std::string text;
  std::int64_t integer;
  std::vector<std::string> elements;  // texts of the kept elements
  bool operator==(const Seen&) const = default;
};

Seen copy(const RespReader::Reply& reply) {
  Seen seen{reply.type, std::string(reply.text), reply.integer, {}};
  for (const auto& element : reply.elements) seen.elements.emplace_back(element.text);
  return seen;
}

// Feeds the chunks in turn, reading everything after each, as a connection does.
std::vector<Seen> read_all(RespReader& reader, const std::vector<std::string>& chunks) {
  std::vector<Seen> seen;
  for (const auto& chunk : chunks) {
    // A copy that dies after the chunk, like a shared read buffer overwritten by the next read.
    std::string bytes = chunk;
    if (reader.feed(bytes) == RespReader::Status::Failed) break;
    while (auto reply = reader.next()) seen.push_back(copy(*reply));
    bytes.assign(bytes.size(), '#');
  }
  return seen;
}

std::string push(std::string_view channel, std::string_view payload) {
  return "*3\r\n$7\r\nmessage\r\n$" + std::to_string(channel.size()) + "\r\n" + std::string(channel) + "\r\n$" +
         std::to_string(payload.size()) + "\r\n" + std::string(payload) + "\r\n";
}

Seen message(std::string_view channel, std::string_view payload) {
  return {Type::Array, "", 3, {"message", std::string(channel), std::string(payload)}};
}

}  // namespace

TEST_CASE("resp: a pub/sub push read whole") {
  RespReader reader;
  const auto seen = read_all(reader, {push("room1", "hello")});
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == message("room1", "hello"));
  CHECK(reader.buffered_bytes() == 0);
}

TEST_CASE("resp: a push split at every byte, and byte by byte, reads the same") {
  // The payload holds CR, LF, NUL and a fake RESP header: a bulk string is read by its length only.
  const std::string payload("12345 0 7 \r\n*3\r\n$7\0x\r", 22);
  const std::string bytes = push("lt_r0", payload) + ":42\r\n";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    CAPTURE(cut);
    RespReader reader;
    const auto seen = read_all(reader, {bytes.substr(0, cut), bytes.substr(cut)});
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] == message("lt_r0", payload));
    CHECK(seen[1] == Seen{Type::Integer, "", 42, {}});
    CHECK(reader.buffered_bytes() == 0);
  }
  std::vector<std::string> one_by_one;
  for (char c : bytes) one_by_one.emplace_back(1, c);
  RespReader reader;
  const auto seen = read_all(reader, one_by_one);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == message("lt_r0", payload));
  CHECK(reader.buffered_bytes() == 0);  // the buffer is given back once drained
}

TEST_CASE("resp: many pushes in one read, the last one unfinished until the next") {
  std::string joined;
  for (int i = 0; i < 100; ++i) joined += push("c", std::to_string(i));
  const std::string last = push("c", "last");
  RespReader reader;
  auto seen = read_all(reader, {joined + last.substr(0, 10)});
  REQUIRE(seen.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(seen[i] == message("c", std::to_string(i)));
  CHECK(reader.buffered_bytes() == 10);  // only the unfinished push is kept
  seen = read_all(reader, {last.substr(10)});
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == message("c", "last"));
  CHECK(reader.buffered_bytes() == 0);
}

TEST_CASE("resp: replies to the commands the load tester sends") {
  RespReader reader;
  const auto seen = read_all(reader, {"*3\r\n$9\r\nsubscribe\r\n$2\r\nr1\r\n:1\r\n"
                                      "+PONG\r\n"
                                      ":0\r\n"
                                      ":-7\r\n"
                                      "-ERR max number of clients reached\r\n"
                                      "$0\r\n\r\n"
                                      "$-1\r\n"
                                      "*-1\r\n"
                                      "*0\r\n"
                                      "*2\r\n$4\r\npong\r\n$0\r\n\r\n"});
  REQUIRE(seen.size() == 10);
  CHECK(seen[0].type == Type::Array);
  CHECK(seen[0].elements == std::vector<std::string>{"subscribe", "r1", ""});
  CHECK(seen[1] == Seen{Type::SimpleString, "PONG", 0, {}});
  CHECK(seen[2] == Seen{Type::Integer, "", 0, {}});
  CHECK(seen[3] == Seen{Type::Integer, "", -7, {}});
  CHECK(seen[4] == Seen{Type::Error, "ERR max number of clients reached", 0, {}});
  CHECK(seen[5] == Seen{Type::BulkString, "", 0, {}});
  CHECK(seen[6].type == Type::Null);
  CHECK(seen[7].type == Type::Null);
  CHECK(seen[8] == Seen{Type::Array, "", 0, {}});
  CHECK(seen[9].elements == std::vector<std::string>{"pong", ""});
}

TEST_CASE("resp: integer elements and nested arrays are read through") {
  RespReader reader;
  const auto seen = read_all(reader, {"*3\r\n$11\r\nunsubscribe\r\n$1\r\nr\r\n:0\r\n", "*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nz\r\n"});
  REQUIRE(seen.size() == 2);
  RespReader again;
  REQUIRE(again.feed("*3\r\n$11\r\nunsubscribe\r\n$1\r\nr\r\n:0\r\n") == RespReader::Status::Ok);
  const auto reply = again.next();
  REQUIRE(reply.has_value());
  REQUIRE(reply->elements.size() == 3);
  CHECK(reply->elements[2].type == Type::Integer);
  CHECK(reply->elements[2].integer == 0);
  CHECK(seen[1].integer == 2);
  CHECK(seen[1].elements == std::vector<std::string>{"", "z"});  // the nested array is kept by size only
}

TEST_CASE("resp: an array longer than the kept elements is read whole") {
  std::string bytes = "*20\r\n";
  for (int i = 0; i < 20; ++i) bytes += ":" + std::to_string(i) + "\r\n";
  bytes += "+after\r\n";
  RespReader reader;
  const auto seen = read_all(reader, {bytes});
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].integer == 20);
  CHECK(seen[0].elements.size() == RespReader::kKeptElements);
  CHECK(seen[1].text == "after");
}

TEST_CASE("resp: a stream that breaks the protocol fails and stays failed") {
  const std::vector<std::string> broken{
      "?what\r\n",                   // unknown type byte
      ":12x\r\n",                    // not an integer
      ":\r\n",                       // empty integer
      "$3\r\nabcd\r\n",              // bulk string longer than announced
      "$-2\r\n",                     // negative length
      "*-5\r\n",                     // negative count
      "+OK\rX",                      // CR without LF
      "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",  // nested too deep
  };
  for (const auto& bytes : broken) {
    CAPTURE(bytes);
    RespReader reader;
    const auto seen = read_all(reader, {"+OK\r\n" + bytes, "+OK\r\n"});
    CHECK(seen.size() == 1);  // what came before the break is still read
    CHECK(reader.failed());
    CHECK_FALSE(reader.failure().empty());
    CHECK(reader.feed("+OK\r\n") == RespReader::Status::Failed);
    CHECK_FALSE(reader.next().has_value());
    reader.reset();
    CHECK_FALSE(reader.failed());
    CHECK(read_all(reader, {"+OK\r\n"}).size() == 1);
  }
}

TEST_CASE("resp: sizes are refused as announced, before anything is kept") {
  RespReader::Limits limits;
  limits.max_value_bytes = 1000;
  limits.max_elements = 10;
  {
    RespReader reader(limits);
    read_all(reader, {"$1001\r\n" + std::string(100, 'x')});
    CHECK(reader.failed());
    CHECK(reader.buffered_bytes() == 0);
  }
  {
    RespReader reader(limits);
    read_all(reader, {"*11\r\n"});
    CHECK(reader.failed());
  }
  {
    // A line that never ends, or a value of many small parts, is refused once it outgrows the limit.
    RespReader reader(limits);
    for (int i = 0; i < 20 && !reader.failed(); ++i) read_all(reader, {std::string(i == 0 ? "+" : "") + std::string(100, 'y')});
    CHECK(reader.failed());
    CHECK(reader.buffered_bytes() == 0);
  }
  {
    RespReader reader(limits);
    const auto seen = read_all(reader, {"$1000\r\n" + std::string(500, 'z'), std::string(500, 'z') + "\r\n"});
    CHECK(reader.failed());  // 1,000 bytes of content, but over 1,000 with its headers
    CHECK(seen.empty());
  }
  {
    RespReader reader(limits);
    const auto seen = read_all(reader, {"$990\r\n" + std::string(500, 'z'), std::string(490, 'z') + "\r\n"});
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].text.size() == 990);
    CHECK_FALSE(reader.failed());
  }
}

TEST_CASE("resp: reset forgets an unfinished value") {
  RespReader reader;
  read_all(reader, {"*3\r\n$7\r\nmess"});
  CHECK(reader.buffered_bytes() > 0);
  reader.reset();
  CHECK(reader.buffered_bytes() == 0);
  const auto seen = read_all(reader, {push("a", "b")});
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == message("a", "b"));
}
