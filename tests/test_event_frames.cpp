#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "server/messaging/event_frames.hpp"

namespace {

// The msg event as a json document, the way protocol.md describes it.
std::string msg_document_line(const chat::MessageRecord& message, bool replay) {
  nlohmann::json json{{"type", "msg"},        {"room", message.room}, {"seq", message.seq},
                      {"from", message.sender}, {"ts", message.ts_ms},  {"text", message.text}};
  if (message.client_id) json["cid"] = *message.client_id;
  if (message.sender_id < 0) json["guest"] = true;
  if (replay) json["replay"] = true;
  return chat::to_line(json);
}

}  // namespace

TEST_CASE("a msg line is the msg event document, with and without client id, replay flag and guest sender") {
  for (const std::optional<std::string>& cid : {std::optional<std::string>{}, std::optional<std::string>{"c-1"}}) {
    for (const bool replay : {false, true}) {
      for (const std::int64_t sender_id : {std::int64_t{7}, -(std::int64_t{2} << 32)}) {
        const chat::MessageRecord message{
            "general", 17, "alice", sender_id, 1733100000123, "hello \"world\"\n\xE2\x82\xAC", cid};
        CAPTURE(replay);
        CAPTURE(sender_id);
        CHECK(chat::msg_line(message, replay) == msg_document_line(message, replay));
        CHECK(*chat::msg_event(message, replay) == msg_document_line(message, replay));
      }
    }
  }
}

TEST_CASE("GuestImpersonation: history entries and dm events mark a guest sender, and only a guest sender") {
  const chat::MessageRecord guest{"general", 3, "bob", -(std::int64_t{2} << 32), 5, "hi", std::nullopt};
  const chat::MessageRecord account{"general", 4, "bob", 12, 6, "hi", std::nullopt};
  CHECK(chat::message_json(guest)["guest"] == true);
  CHECK_FALSE(chat::message_json(account).contains("guest"));
  const chat::DirectMessageRecord from_guest{1, "bob", -(std::int64_t{2} << 32), "alice", 1, 5, "psst", std::nullopt};
  const chat::DirectMessageRecord from_account{2, "bob", 12, "alice", 1, 6, "psst", std::nullopt};
  CHECK(nlohmann::json::parse(*chat::dm_event(from_guest))["guest"] == true);
  CHECK_FALSE(nlohmann::json::parse(*chat::dm_event(from_account)).contains("guest"));
}

TEST_CASE("append_msg_line writes the given seq after what the string holds") {
  const chat::MessageRecord unstored{"general", 0, "bob", 2, 5, "hi", std::nullopt};
  chat::MessageRecord stored = unstored;
  stored.seq = 9;
  std::string frame = chat::msg_line(stored);
  chat::append_msg_line(frame, unstored, 10);
  stored.seq = 10;
  CHECK(frame == chat::msg_line({"general", 9, "bob", 2, 5, "hi", std::nullopt}) + chat::msg_line(stored));
}

TEST_CASE("an action's msg line is the document with its kind; a text message's has none") {
  for (const bool replay : {false, true}) {
    chat::MessageRecord message{"general", 5, "alice", 7, 1733100000123, "waves", std::string("c-2")};
    message.kind = chat::MessageKind::action;
    auto document = nlohmann::json::parse(msg_document_line(message, replay));
    document["kind"] = "action";
    CAPTURE(replay);
    CHECK(chat::msg_line(message, replay) == chat::to_line(document));
    CHECK(chat::message_json(message)["kind"] == "action");
    message.kind = chat::MessageKind::text;
    CHECK(chat::msg_line(message, replay) == msg_document_line(message, replay));
    CHECK_FALSE(chat::message_json(message).contains("kind"));
  }
  chat::DirectMessageRecord dm{1, "bob", 12, "alice", 1, 6, "shrugs", std::nullopt};
  CHECK_FALSE(nlohmann::json::parse(*chat::dm_event(dm)).contains("kind"));
  dm.kind = chat::MessageKind::action;
  CHECK(nlohmann::json::parse(*chat::dm_event(dm))["kind"] == "action");
}
