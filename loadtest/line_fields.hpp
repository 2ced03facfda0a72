#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace chat::loadtest {

// The top-level members of one protocol line, found by a single pass over the
// bytes without building a JSON document: the generator shares the CPU with
// the server it measures, and a `msg` event needs only three of its fields.
// String values are returned raw (escapes left as written), which is enough
// for the names, codes and digits the load tester compares. Views point into
// the scanned line.
class LineFields {
 public:
  static constexpr std::size_t kMaxFields = 24;

  // No members; scan() is how a line's are found. User-provided, so that
  // value-initialising one does not clear the whole field array.
  LineFields() noexcept {}

  // nullopt when the line is not one well-formed JSON object (at the level
  // of detail scanned: nested values are skipped, not validated).
  static std::optional<LineFields> scan(std::string_view line) noexcept;

  // A string member's raw content; nullopt when absent or not a string.
  std::optional<std::string_view> string(std::string_view key) const noexcept;
  // An integer member; nullopt when absent or not an integer.
  std::optional<std::int64_t> integer(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept;
  std::size_t size() const noexcept { return size_; }

 private:
  // Trivially constructible, so that the array below is not cleared for
  // every line: only the first size_ entries are ever read.
  struct Field {
    const char* key_data;
    const char* value_data;
    std::size_t key_size;
    std::size_t value_size;
    bool is_string;  // the raw token of a number, literal or nested value otherwise

    std::string_view key() const noexcept { return {key_data, key_size}; }
    std::string_view value() const noexcept { return {value_data, value_size}; }
  };

  bool parse(std::string_view line) noexcept;
  const Field* find(std::string_view key) const noexcept;

  Field fields_[kMaxFields];
  std::size_t size_ = 0;
};

}  // namespace chat::loadtest
