#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chat::client {

// Reading the fields of what the server sent without trusting it: a field
// of the wrong type reads as absent, never throws (nlohmann's value() does),
// and text comes back without characters that would act on the terminal.
// Every read of a server line in the client goes through these.

// Replaces what would act on the terminal instead of being shown: C0 and C1
// controls and DEL by '?' (newline and tab by a space), and the
// bidirectional overrides and isolates, which would reorder the rest of the
// line, by '?'.
std::string printable(std::string_view text);

// The string field `key`, made printable; "" when absent or not a string.
std::string string_field(const nlohmann::json& message, std::string_view key);

// The integer field `key`, or nullopt when absent or not an integer.
std::optional<std::int64_t> int_field(const nlohmann::json& message, std::string_view key);

// True only for a boolean field `key` that is true.
bool bool_field(const nlohmann::json& message, std::string_view key);

// The array field `key`, or an empty array when absent or not an array.
const nlohmann::json& array_field(const nlohmann::json& message, std::string_view key);

}  // namespace chat::client
