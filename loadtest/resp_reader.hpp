#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chat::loadtest {

// Splits the byte stream of a Redis server into RESP2 values, incrementally:
// a value may arrive split over any number of reads, and one read may carry
// many values. Bulk strings may hold any bytes (CR, LF and NUL included).
//
// Nothing is copied while values arrive whole: next() returns views into the
// bytes given to feed(). Only an unfinished value is copied, into a buffer
// that is given back once that value has been read, so that an idle
// connection holds no buffer. Sizes are checked before anything is kept: a
// bulk string or array announced over the limits, or an unfinished value
// over max_value_bytes, fails the stream at once.
//
// Not thread-safe: one reader belongs to one connection's reads.
class RespReader {
 public:
  enum class Type : std::uint8_t { SimpleString, Error, Integer, BulkString, Null, Array };

  // One value, or one element of an array. Nested arrays are read through
  // (their size, their contents skipped), which RESP2 replies to the
  // commands the load tester sends never contain.
  struct Element {
    Type type = Type::Null;
    std::string_view text;     // SimpleString, Error, BulkString
    std::int64_t integer = 0;  // Integer; Array: its element count
  };

  // A top-level value; an array's first kKeptElements elements in `elements`.
  struct Reply : Element {
    std::span<const Element> elements;
  };

  // Pub/sub pushes have 3 elements (4 for pattern messages).
  static constexpr std::size_t kKeptElements = 8;

  struct Limits {
    std::size_t max_value_bytes = 1 << 20;  // one top-level value, headers included
    std::size_t max_elements = 1024;        // per array
    unsigned max_depth = 4;                 // arrays within arrays
  };

  enum class Status { Ok, Failed };

  RespReader() : RespReader(Limits{}) {}
  explicit RespReader(Limits limits) : limits_(limits) {}
  RespReader(const RespReader&) = delete;
  RespReader& operator=(const RespReader&) = delete;

  // Adds received bytes. They must stay valid until next() has returned
  // nullopt: by then the reader has copied what it could not use yet.
  // Failed once the stream broke the protocol or a limit; it stays failed.
  Status feed(std::string_view bytes);

  // The next complete value, or nullopt (none complete yet, or the stream
  // failed: then failed() is true). Views stay valid until the next call to
  // feed() or next().
  std::optional<Reply> next();

  bool failed() const noexcept { return failure_ != nullptr; }
  // What broke the stream; empty while it has not.
  std::string_view failure() const noexcept { return failure_ == nullptr ? std::string_view{} : failure_; }
  // Bytes of an unfinished value kept between feeds.
  std::size_t buffered_bytes() const noexcept { return buffer_.size(); }
  // Forgets everything, failure included (a new connection).
  void reset() noexcept;

 private:
  enum class Parse { Complete, Incomplete, Bad };

  Parse parse(std::size_t& pos, unsigned depth, Element* out);
  Parse parse_line(std::size_t& pos, std::string_view& line);
  void keep_rest();
  Parse bad(const char* why) noexcept;  // fails the stream
  void fail(const char* why) noexcept;

  Limits limits_;
  std::string buffer_;       // an unfinished value carried over from earlier feeds
  std::string_view input_;   // what next() reads: the fed bytes, or buffer_
  std::size_t consumed_ = 0;  // bytes of input_ already returned
  bool input_is_buffer_ = false;
  const char* failure_ = nullptr;
  std::array<Element, kKeptElements> elements_{};
};

}  // namespace chat::loadtest
