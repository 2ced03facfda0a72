#include "common/json_object_writer.hpp"

#include <charconv>

#include "common/utf8.hpp"

namespace chat {

namespace {

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(escaped, sizeof escaped);
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  if (!is_valid_utf8(text)) {
    // Rare (the server validates what it accepts); nlohmann's replacement rules are the reference.
    out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out.push_back('"');
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c)) continue;
    out.append(text.data() + run, i - run);
    append_escaped(out, c);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

JsonObjectWriter::JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }

void JsonObjectWriter::key(std::string_view name) {
  if (!first_) out_.push_back(',');
  first_ = false;
  append_json_string(out_, name);
  out_.push_back(':');
}

void JsonObjectWriter::string(std::string_view key_name, std::string_view value) {
  key(key_name);
  append_json_string(out_, value);
}

void JsonObjectWriter::integer(std::string_view key_name, std::int64_t value) {
  key(key_name);
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, end);
}

void JsonObjectWriter::boolean(std::string_view key_name, bool value) {
  key(key_name);
  out_ += value ? "true" : "false";
}

void JsonObjectWriter::json(std::string_view key_name, const nlohmann::json& value) {
  key(key_name);
  out_ += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonObjectWriter::end_line() { out_ += "}\n"; }

}  // namespace chat
