#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "server/storage/records.hpp"

namespace chat {

// The server's events (docs/protocol.md, "Events"), built in one place.
// A guest sender is marked ("guest":true) wherever a message shows who wrote it, so that a guest cannot pass
// for the account that holds its name before or after it.
// {seq, from, ts, text[, cid][, guest][, kind]} as in history. An action says so ("kind":"action"); text, the
// default, carries no kind, in every event and entry that shows a message.
nlohmann::json message_json(const MessageRecord& message);
Frame msg_event(const MessageRecord& message, bool replay = false);
// The same event as one protocol line ('\n' included), for frames that carry several.
std::string msg_line(const MessageRecord& message, bool replay = false);
// Appends that line to `out`, with `seq` in place of message.seq (a record is stored before it has one).
void append_msg_line(std::string& out, const MessageRecord& message, std::int64_t seq, bool replay = false);
Frame presence_event(std::string_view room, std::string_view user, std::string_view action);
Frame dm_event(const DirectMessageRecord& message);
Frame topic_event(std::string_view room, std::string_view topic, std::string_view by);
// "kicked" or "banned"
Frame removal_event(std::string_view type, std::string_view room, std::string_view by, std::string_view reason);
Frame invited_event(std::string_view room, std::string_view by);
Frame shutdown_event(std::string_view message);

}  // namespace chat
