#include "server/messaging/event_frames.hpp"

#include "common/json_object_writer.hpp"
#include "server/messaging/message_kind.hpp"

namespace chat {

nlohmann::json message_json(const MessageRecord& message) {
  nlohmann::json json{{"seq", message.seq}, {"from", message.sender}, {"ts", message.ts_ms}, {"text", message.text}};
  if (message.client_id) json["cid"] = *message.client_id;
  if (is_guest_principal(message.sender_id)) json["guest"] = true;
  if (shows_kind(message.kind)) json["kind"] = kind_name(message.kind);
  return json;
}

void append_msg_line(std::string& out, const MessageRecord& message, std::int64_t seq, bool replay) {
  // Written directly, not through a json document: this runs once per message of every room. Keys in
  // ascending order, as the document would have them.
  JsonObjectWriter line(out);
  if (message.client_id) line.string("cid", *message.client_id);
  line.string("from", message.sender);
  // Only a guest's lines carry the flag: the common case stays as short as it was.
  if (is_guest_principal(message.sender_id)) line.boolean("guest", true);
  // Likewise the kind: a text line is the bytes it was before kinds existed.
  if (shows_kind(message.kind)) line.string("kind", kind_name(message.kind));
  if (replay) line.boolean("replay", true);
  line.string("room", message.room);
  line.integer("seq", seq);
  line.string("text", message.text);
  line.integer("ts", message.ts_ms);
  line.string("type", "msg");
  line.end_line();
}

std::string msg_line(const MessageRecord& message, bool replay) {
  std::string line;
  append_msg_line(line, message, message.seq, replay);
  return line;
}

Frame msg_event(const MessageRecord& message, bool replay) {
  return make_frame(msg_line(message, replay));
}

Frame presence_event(std::string_view room, std::string_view user, std::string_view action) {
  auto json = event("presence");
  json["room"] = room;
  json["user"] = user;
  json["action"] = action;
  return to_frame(json);
}

Frame dm_event(const DirectMessageRecord& message) {
  auto json = event("dm");
  json["dm_id"] = message.id;
  json["from"] = message.sender;
  if (is_guest_principal(message.sender_id)) json["guest"] = true;
  if (shows_kind(message.kind)) json["kind"] = kind_name(message.kind);
  json["to"] = message.recipient;
  json["ts"] = message.ts_ms;
  json["text"] = message.text;
  return to_frame(json);
}

Frame topic_event(std::string_view room, std::string_view topic, std::string_view by) {
  auto json = event("topic");
  json["room"] = room;
  json["topic"] = topic;
  json["by"] = by;
  return to_frame(json);
}

Frame removal_event(std::string_view type, std::string_view room, std::string_view by, std::string_view reason) {
  auto json = event(type);
  json["room"] = room;
  json["by"] = by;
  json["reason"] = reason;
  return to_frame(json);
}

Frame invited_event(std::string_view room, std::string_view by) {
  auto json = event("invited");
  json["room"] = room;
  json["by"] = by;
  return to_frame(json);
}

Frame shutdown_event(std::string_view message) {
  auto json = event("shutdown");
  json["message"] = message;
  return to_frame(json);
}

}  // namespace chat
