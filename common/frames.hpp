#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error_code.hpp"
#include "common/protocol_error.hpp"

namespace chat {

// One serialized protocol line, shared by every connection it is sent to.
using Frame = std::shared_ptr<const std::string>;

// Serializes a JSON object as one protocol line, '\n' included. Invalid
// UTF-8 in strings is replaced rather than thrown on: a line always goes out.
std::string to_line(const nlohmann::json& message);
Frame to_frame(const nlohmann::json& message);

// {"type":"ok","op":op,"id":id} — id omitted when null.
nlohmann::json ok_reply(std::string_view op, const nlohmann::json& id);

// {"type":"error","op":op,"id":id,"code":code,"message":message} — op and id
// omitted when empty/null (errors that cannot be tied to a request).
nlohmann::json error_reply(ErrorCode code, std::string_view message, std::string_view op = {},
                           const nlohmann::json& id = nullptr);
// The same for a thrown error, with its "retry_after_ms" when it has one.
nlohmann::json error_reply(const ProtocolError& error, std::string_view op = {}, const nlohmann::json& id = nullptr);

// {"type":type} — an event; the caller adds its fields.
nlohmann::json event(std::string_view type);

// {"op":op,"id":id} — a request, for clients; id omitted when null.
nlohmann::json make_request(std::string_view op, const nlohmann::json& id = nullptr);

}  // namespace chat
