#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "server/event_frames.hpp"

namespace {

// The msg event as a json document, the way protocol.md describes it.
std::string msg_document_line(const chat::MessageRecord& message, bool replay) {
  nlohmann::json json{{"type", "msg"},        {"room", message.room}, {"seq", message.seq},
                      {"from", message.sender}, {"ts", message.ts_ms},  {"text", message.text}};
  if (message.client_id) json["cid"] = *message.client_id;
  if (replay) json["replay"] = true;
  return chat::to_line(json);
}

}  // namespace

TEST_CASE("a msg line is the msg event document, with and without client id and replay flag") {
  for (const std::optional<std::string>& cid : {std::optional<std::string>{}, std::optional<std::string>{"c-1"}}) {
    for (const bool replay : {false, true}) {
      const chat::MessageRecord message{"general", 17, "alice", 1733100000123, "hello \"world\"\n\xE2\x82\xAC", cid};
      CAPTURE(replay);
      CHECK(chat::msg_line(message, replay) == msg_document_line(message, replay));
      CHECK(*chat::msg_event(message, replay) == msg_document_line(message, replay));
    }
  }
}

TEST_CASE("append_msg_line writes the given seq after what the string holds") {
  const chat::MessageRecord unstored{"general", 0, "bob", 5, "hi", std::nullopt};
  chat::MessageRecord stored = unstored;
  stored.seq = 9;
  std::string frame = chat::msg_line(stored);
  chat::append_msg_line(frame, unstored, 10);
  stored.seq = 10;
  CHECK(frame == chat::msg_line({"general", 9, "bob", 5, "hi", std::nullopt}) + chat::msg_line(stored));
}
