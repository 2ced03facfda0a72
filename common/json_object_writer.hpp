#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat {

// Appends one JSON object, as a protocol line, straight to a string. For the
// frames sent most (a room's msg events, the sender's acknowledgement), where
// building a json document first costs more than the message itself.
//
// The caller gives the keys in ascending byte order, the order nlohmann::json
// keeps them in: the line is then byte for byte what to_line() makes of the
// same document (invalid UTF-8 included, which is replaced the same way).
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out);
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  void string(std::string_view key, std::string_view value);
  void integer(std::string_view key, std::int64_t value);
  void boolean(std::string_view key, bool value);
  void json(std::string_view key, const nlohmann::json& value);
  // Closes the object and the line ("}\n"); nothing may be added after it.
  void end_line();

 private:
  void key(std::string_view name);

  std::string& out_;
  bool first_ = true;
};

// Appends `text` as a JSON string literal (quotes included), escaped as
// nlohmann::json's dump() escapes it.
void append_json_string(std::string& out, std::string_view text);

}  // namespace chat
