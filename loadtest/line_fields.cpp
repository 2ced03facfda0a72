#include "loadtest/line_fields.hpp"

#include <charconv>

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

  // After an opening quote: the content up to the closing quote.
  std::optional<std::string_view> string_body() noexcept {
    const std::size_t start = pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') return text_.substr(start, pos_++ - start);
      pos_ += (c == '\\') ? 2 : 1;
    }
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
  LineFields fields;
  Cursor cursor(line);
  cursor.skip_space();
  if (!cursor.consume('{')) return std::nullopt;
  cursor.skip_space();
  if (cursor.consume('}')) {
    cursor.skip_space();
    return cursor.at_end() ? std::optional<LineFields>(fields) : std::nullopt;
  }
  while (true) {
    cursor.skip_space();
    if (!cursor.consume('"')) return std::nullopt;
    const auto key = cursor.string_body();
    if (!key) return std::nullopt;
    cursor.skip_space();
    if (!cursor.consume(':')) return std::nullopt;
    cursor.skip_space();
    Field field{*key, {}, false};
    std::optional<std::string_view> value;
    if (cursor.consume('"')) {
      value = cursor.string_body();
      field.is_string = true;
    } else if (cursor.peek() == '{' || cursor.peek() == '[') {
      value = cursor.nested();
    } else {
      value = cursor.token();
    }
    if (!value) return std::nullopt;
    field.value = *value;
    // Members past the capacity are parsed but not kept: protocol lines the
    // tool reads have far fewer, and a longer one must still scan.
    if (fields.size_ < kMaxFields) fields.fields_[fields.size_++] = field;
    cursor.skip_space();
    if (cursor.consume(',')) continue;
    if (!cursor.consume('}')) return std::nullopt;
    cursor.skip_space();
    return cursor.at_end() ? std::optional<LineFields>(fields) : std::nullopt;
  }
}

const LineFields::Field* LineFields::find(std::string_view key) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (fields_[i].key == key) return &fields_[i];
  }
  return nullptr;
}

bool LineFields::has(std::string_view key) const noexcept { return find(key) != nullptr; }

std::optional<std::string_view> LineFields::string(std::string_view key) const noexcept {
  const Field* field = find(key);
  if (field == nullptr || !field->is_string) return std::nullopt;
  return field->value;
}

std::optional<std::int64_t> LineFields::integer(std::string_view key) const noexcept {
  const Field* field = find(key);
  if (field == nullptr || field->is_string) return std::nullopt;
  std::int64_t value = 0;
  const char* first = field->value.data();
  const char* last = first + field->value.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end != last) return std::nullopt;
  return value;
}

}  // namespace chat::loadtest
