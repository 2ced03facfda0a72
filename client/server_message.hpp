#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat::client {

// What a line from the server must look like before the session acts on it
// (docs/protocol.md). A line that fails is reported and dropped; it never
// ends the session, since one bad line says nothing about the next.

// Why `message` cannot be acted on, or nullopt when it carries every field
// its type needs, with the right JSON type. Optional fields are not checked
// here: they are read through server_fields.hpp, where a wrong type reads as
// absent.
std::optional<std::string> malformation(const nlohmann::json& message);

// True for a reply to a request (ok, pong, or an error with an id); false
// for an event. Only meaningful for a message malformation() accepted.
bool is_reply(const nlohmann::json& message);

// At most this many bytes of a rejected line are quoted in the report.
inline constexpr std::size_t kLineSampleBytes = 120;

// The start of a server line, made printable and cut on a character
// boundary, for a one-line report.
std::string line_sample(std::string_view line);

}  // namespace chat::client
