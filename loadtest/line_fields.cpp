#include "loadtest/line_fields.hpp"

#include <charconv>
#include <cstring>

namespace chat::loadtest {
namespace {

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  void skip_space() noexcept {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c) noexcept {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // After an opening quote: the content up to the closing quote. memchr
  // finds quotes a vector at a time; most of a line's bytes are in strings.
  std::optional<std::string_view> string_body() noexcept {
    const std::size_t start = pos_;
    std::size_t from = pos_;
    while (from < text_.size()) {
      const void* hit = std::memchr(text_.data() + from, '"', text_.size() - from);
      if (hit == nullptr) break;
      const std::size_t quote = static_cast<std::size_t>(static_cast<const char*>(hit) - text_.data());
      // A quote after an odd run of backslashes is escaped.
      std::size_t backslashes = 0;
      while (quote - backslashes > start && text_[quote - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) {
        pos_ = quote + 1;
        return text_.substr(start, quote - start);
      }
      from = quote + 1;
    }
    pos_ = text_.size();
    return std::nullopt;
  }

  // A nested object or array, skipped with bracket counting (strings honoured).
  std::optional<std::string_view> nested() noexcept {
    const std::size_t start = pos_;
    int depth = 0;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (!string_body()) return std::nullopt;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return text_.substr(start, pos_ - start);
      }
    }
    return std::nullopt;
  }

  // A number, true, false or null.
  std::optional<std::string_view> token() noexcept {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<LineFields> LineFields::scan(std::string_view line) noexcept {
  // One named result, built in place: a LineFields is too big to copy per line.
  std::optional<LineFields> result(std::in_place);
  if (!result->parse(line)) result.reset();
  return result;
}

bool LineFields::parse(std::string_view line) noexcept {
  Cursor cursor(line);
  cursor.skip_space();
  if (!cursor.consume('{')) return false;
  cursor.skip_space();
  if (cursor.consume('}')) {
    cursor.skip_space();
    return cursor.at_end();
  }
  while (true) {
    cursor.skip_space();
    if (!cursor.consume('"')) return false;
    const auto key = cursor.string_body();
    if (!key) return false;
    cursor.skip_space();
    if (!cursor.consume(':')) return false;
    cursor.skip_space();
    bool is_string = false;
    std::optional<std::string_view> value;
    if (cursor.consume('"')) {
      value = cursor.string_body();
      is_string = true;
    } else if (cursor.peek() == '{' || cursor.peek() == '[') {
      value = cursor.nested();
    } else {
      value = cursor.token();
    }
    if (!value) return false;
    // Members past the capacity are parsed but not kept: protocol lines the
    // tool reads have far fewer, and a longer one must still scan.
    if (size_ < kMaxFields) fields_[size_++] = Field{key->data(), value->data(), key->size(), value->size(), is_string};
    cursor.skip_space();
    if (cursor.consume(',')) continue;
    if (!cursor.consume('}')) return false;
    cursor.skip_space();
    return cursor.at_end();
  }
}

const LineFields::Field* LineFields::find(std::string_view key) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (fields_[i].key() == key) return &fields_[i];
  }
  return nullptr;
}

bool LineFields::has(std::string_view key) const noexcept { return find(key) != nullptr; }

std::optional<std::string_view> LineFields::string(std::string_view key) const noexcept {
  const Field* field = find(key);
  if (field == nullptr || !field->is_string) return std::nullopt;
  return field->value();
}

std::optional<std::int64_t> LineFields::integer(std::string_view key) const noexcept {
  const Field* field = find(key);
  if (field == nullptr || field->is_string) return std::nullopt;
  std::int64_t value = 0;
  const std::string_view text = field->value();
  const char* first = text.data();
  const char* last = first + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end != last) return std::nullopt;
  return value;
}

}  // namespace chat::loadtest
