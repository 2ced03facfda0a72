#include "loadtest/resp_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace chat::loadtest {
namespace {

// A whole line of digits (an optional '-' first) as a signed integer.
std::optional<std::int64_t> to_integer(std::string_view line) noexcept {
  std::int64_t value = 0;
  const char* last = line.data() + line.size();
  const auto [end, ec] = std::from_chars(line.data(), last, value);
  if (ec != std::errc{} || end != last || line.empty()) return std::nullopt;
  return value;
}

}  // namespace

RespReader::Status RespReader::feed(std::string_view bytes) {
  if (failed()) return Status::Failed;
  keep_rest();
  if (buffer_.empty()) {
    input_ = bytes;
    input_is_buffer_ = false;
  } else {
    buffer_.append(bytes);
    input_ = buffer_;
    input_is_buffer_ = true;
  }
  consumed_ = 0;
  return Status::Ok;
}

std::optional<RespReader::Reply> RespReader::next() {
  if (failed()) return std::nullopt;
  if (consumed_ == input_.size()) {
    keep_rest();
    return std::nullopt;
  }
  std::size_t pos = consumed_;
  Element top;
  switch (parse(pos, 0, &top)) {
    case Parse::Complete: {
      if (pos - consumed_ > limits_.max_value_bytes) {
        fail("value over the size limit");
        return std::nullopt;
      }
      consumed_ = pos;
      Reply reply;
      static_cast<Element&>(reply) = top;
      if (top.type == Type::Array) {
        reply.elements = std::span<const Element>(
            elements_.data(), std::min(static_cast<std::size_t>(top.integer), kKeptElements));
      }
      return reply;
    }
    case Parse::Incomplete:
      if (input_.size() - consumed_ >= limits_.max_value_bytes) {
        fail("unfinished value over the size limit");
      } else {
        keep_rest();
      }
      return std::nullopt;
    case Parse::Bad:
      break;
  }
  return std::nullopt;
}

// One CRLF-terminated line from pos: its content, pos moved past the CRLF.
// RESP lines cannot hold a CR, so the first one must end the line.
RespReader::Parse RespReader::parse_line(std::size_t& pos, std::string_view& line) {
  const void* cr = std::memchr(input_.data() + pos, '\r', input_.size() - pos);
  if (cr == nullptr) return Parse::Incomplete;
  const auto end = static_cast<std::size_t>(static_cast<const char*>(cr) - input_.data());
  if (end + 1 == input_.size()) return Parse::Incomplete;
  if (input_[end + 1] != '\n') return bad("CR without LF");
  line = input_.substr(pos, end - pos);
  pos = end + 2;
  return Parse::Complete;
}

// One value from pos, into out when given (nested values are read through
// without being kept). pos moves past it only when it is complete.
RespReader::Parse RespReader::parse(std::size_t& pos, unsigned depth, Element* out) {
  if (pos >= input_.size()) return Parse::Incomplete;
  const char type = input_[pos];
  std::size_t p = pos + 1;
  std::string_view line;
  if (const auto r = parse_line(p, line); r != Parse::Complete) return r;

  Element value;
  switch (type) {
    case '+':
      value = {Type::SimpleString, line, 0};
      break;
    case '-':
      value = {Type::Error, line, 0};
      break;
    case ':': {
      const auto n = to_integer(line);
      if (!n) return bad("malformed integer");
      value = {Type::Integer, {}, *n};
      break;
    }
    case '$': {
      const auto n = to_integer(line);
      if (!n || *n < -1) return bad("malformed bulk string length");
      if (*n == -1) {
        value = {Type::Null, {}, 0};
        break;
      }
      const auto size = static_cast<std::uint64_t>(*n);
      if (size > limits_.max_value_bytes) return bad("bulk string over the size limit");
      if (input_.size() - p < size + 2) return Parse::Incomplete;
      if (input_[p + size] != '\r' || input_[p + size + 1] != '\n') return bad("bulk string not followed by CRLF");
      value = {Type::BulkString, input_.substr(p, size), *n};
      p += size + 2;
      break;
    }
    case '*': {
      const auto n = to_integer(line);
      if (!n || *n < -1) return bad("malformed array length");
      if (*n == -1) {
        value = {Type::Null, {}, 0};
        break;
      }
      if (static_cast<std::uint64_t>(*n) > limits_.max_elements) return bad("array over the element limit");
      if (depth >= limits_.max_depth) return bad("arrays nested too deep");
      for (std::int64_t i = 0; i < *n; ++i) {
        Element* child = depth == 0 && static_cast<std::size_t>(i) < kKeptElements ? &elements_[i] : nullptr;
        if (const auto r = parse(p, depth + 1, child); r != Parse::Complete) return r;
      }
      value = {Type::Array, {}, *n};
      break;
    }
    default:
      return bad("unknown type byte");
  }
  pos = p;
  if (out != nullptr) *out = value;
  return Parse::Complete;
}

// Keeps what next() could not read yet, as a copy, so that the fed bytes may
// go; gives the buffer back when nothing is left.
void RespReader::keep_rest() {
  if (input_is_buffer_) {
    buffer_.erase(0, consumed_);
  } else if (consumed_ < input_.size()) {
    buffer_.append(input_.substr(consumed_));  // empty before: fed bytes are read in place only then
  }
  if (buffer_.empty()) std::string().swap(buffer_);
  input_ = {};
  consumed_ = 0;
  input_is_buffer_ = false;
}

RespReader::Parse RespReader::bad(const char* why) noexcept {
  fail(why);
  return Parse::Bad;
}

void RespReader::fail(const char* why) noexcept {
  failure_ = why;
  input_ = {};
  consumed_ = 0;
  input_is_buffer_ = false;
  std::string().swap(buffer_);
}

void RespReader::reset() noexcept {
  failure_ = nullptr;
  input_ = {};
  consumed_ = 0;
  input_is_buffer_ = false;
  std::string().swap(buffer_);
}

}  // namespace chat::loadtest
