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
// A frame of one or more complete lines. Its buffer is trimmed to its text when it was grown well past it,
// since a queued frame costs its whole buffer.
Frame make_frame(std::string lines);
// What a queued frame costs in memory, as a connection's outbound limit counts it: its buffer, the shared
// string with its control block, and its slot in the queue. Counting only the text would let a queue of
// small frames hold about twice its limit.
std::size_t frame_cost(const std::string& frame) noexcept;

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
