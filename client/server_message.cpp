#include "client/server_message.hpp"

#include <array>
#include <span>

#include "client/server_fields.hpp"

namespace chat::client {
namespace {

enum class Kind { String, Integer };

struct Field {
  std::string_view name;
  Kind kind;
};

// The fields the client relies on, per message type. Declarative, so that
// adding an event to the protocol is one line here.
struct Shape {
  std::string_view type;
  std::array<Field, 4> fields;
  std::size_t field_count;

  std::span<const Field> required() const noexcept { return {fields.data(), field_count}; }
};

constexpr Shape shape(std::string_view type, std::initializer_list<Field> fields) {
  Shape result{type, {}, 0};
  for (const Field& field : fields) result.fields[result.field_count++] = field;
  return result;
}

using K = Kind;

constexpr std::array kShapes{
    shape("hello", {{"protocol", K::Integer}}),
    shape("msg", {{"room", K::String}, {"seq", K::Integer}, {"from", K::String}, {"text", K::String}}),
    shape("dm", {{"dm_id", K::Integer}, {"from", K::String}, {"to", K::String}, {"text", K::String}}),
    shape("presence", {{"room", K::String}, {"user", K::String}, {"action", K::String}}),
    shape("topic", {{"room", K::String}, {"topic", K::String}, {"by", K::String}}),
    shape("kicked", {{"room", K::String}, {"by", K::String}}),
    shape("banned", {{"room", K::String}, {"by", K::String}}),
    shape("invited", {{"room", K::String}, {"by", K::String}}),
    shape("shutdown", {}),
    // Replies: what they carry depends on the request, and is read leniently.
    shape("ok", {{"id", K::Integer}}),
    shape("pong", {{"id", K::Integer}}),
    // Both the reply to a failed request and the event before a close.
    shape("error", {{"code", K::String}, {"message", K::String}}),
};

bool has(const nlohmann::json& message, const Field& field) {
  const auto it = message.find(field.name);
  if (it == message.end()) return false;
  return field.kind == Kind::String ? it->is_string() : int_field(message, field.name).has_value();
}

}  // namespace

std::optional<std::string> malformation(const nlohmann::json& message) {
  if (!message.is_object()) return "not a JSON object";
  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return "no string \"type\"";
  const auto& name = type->get_ref<const std::string&>();
  for (const auto& candidate : kShapes) {
    if (candidate.type != name) continue;
    for (const auto& field : candidate.required()) {
      if (!has(message, field)) {
        return printable(name) + " without " + (field.kind == Kind::String ? "a string" : "an integer") + " \"" +
               std::string(field.name) + "\"";
      }
    }
    return std::nullopt;
  }
  return "unknown type \"" + printable(name.substr(0, 32)) + "\"";
}

bool is_reply(const nlohmann::json& message) {
  const auto type = string_field(message, "type");
  return type == "ok" || type == "pong" || (type == "error" && message.contains("id"));
}

std::string line_sample(std::string_view line) {
  if (line.size() <= kLineSampleBytes) return printable(line);
  std::size_t cut = kLineSampleBytes;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return printable(line.substr(0, cut)) + "...";
}

}  // namespace chat::client
