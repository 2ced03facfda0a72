// send, dm, history: messages to rooms and to users.
#include <vector>

#include "common/protocol.hpp"
#include "common/utf8.hpp"
#include "server/dispatch/command_table.hpp"
#include "server/commands/room_access.hpp"
#include "server/messaging/event_frames.hpp"
#include "server/messaging/frame_budget.hpp"
#include "server/messaging/message_kind.hpp"
#include "server/server_context.hpp"

namespace chat {
namespace {

std::string checked_text(const CommandContext& ctx) {
  auto text = ctx.request.required_string("text");
  const auto max = ctx.server.config.limits.max_message_chars;
  const auto length = utf8_length(text).value_or(0);
  if (length == 0) throw ProtocolError(ErrorCode::BadRequest, "field 'text' must not be empty");
  if (length > max) throw ProtocolError(ErrorCode::BadRequest, "text longer than " + std::to_string(max) + " characters");
  return text;
}

std::optional<std::string> checked_client_id(const CommandContext& ctx) {
  auto cid = ctx.request.optional_string("cid");
  if (cid && (cid->empty() || cid->size() > protocol::kMaxClientIdLength)) {
    throw ProtocolError(ErrorCode::BadRequest,
                        "field 'cid' must be 1-" + std::to_string(protocol::kMaxClientIdLength) + " bytes");
  }
  return cid;
}

// "text" when absent. Read without copying the field: every send asks.
MessageKind checked_kind(const CommandContext& ctx) {
  const auto& body = ctx.request.body();
  const auto field = body.find("kind");
  if (field == body.end()) return MessageKind::text;
  const auto* name = field->get_ptr<const std::string*>();
  const auto kind = name ? kind_named(*name) : std::nullopt;
  if (!kind) throw ProtocolError(ErrorCode::BadRequest, "field 'kind' must be \"text\" or \"action\"");
  return *kind;
}

void send(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto room = ctx.room();
  auto text = checked_text(ctx);
  auto cid = checked_client_id(ctx);
  const auto kind = checked_kind(ctx);
  require_member(*room, user.user);
  // The reply is sent by the pipeline once the message is committed.
  ctx.server.messages.send(room, user, ctx.session, ctx.request.id(), std::move(text), std::move(cid), kind);
}

void direct_message(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto to = ctx.user_name("to");
  auto text = checked_text(ctx);
  auto cid = checked_client_id(ctx);
  const auto kind = checked_kind(ctx);
  ctx.check_name_probe();
  const auto recipient = ctx.server.inbox.find_recipient(to);
  if (!recipient) {
    ctx.charge_name_probe();
    throw ProtocolError(ErrorCode::NotFound, "no user '" + to + "'");
  }
  const auto stored = ctx.server.inbox.send(user, *recipient, std::move(text), std::move(cid), kind);
  auto reply = ctx.ok();
  reply["to"] = to;
  reply["dm_id"] = stored.message.id;
  reply["ts"] = stored.message.ts_ms;
  if (stored.duplicate) reply["duplicate"] = true;
  ctx.reply(reply);
}

void history(const CommandContext& ctx) {
  const auto user = ctx.user();
  const auto before = ctx.request.optional_int("before");
  const auto after = ctx.request.optional_int("after");
  const auto limit = ctx.request.optional_int("limit").value_or(protocol::kDefaultHistoryLimit);
  if (limit < 1 || limit > static_cast<std::int64_t>(protocol::kMaxHistoryLimit)) {
    throw ProtocolError(ErrorCode::BadRequest,
                        "field 'limit' must be 1-" + std::to_string(protocol::kMaxHistoryLimit));
  }
  const auto room = ctx.room();
  require_member(*room, user.user);
  // Only what was delivered is history: a committed message still on its way
  // to the room must not reach a reader first.
  auto upper = room->delivered_seq() + 1;
  if (before && *before < upper) upper = *before;
  const auto page = ctx.server.store.history(room->name(), upper, after, static_cast<std::size_t>(limit));
  // A page of large messages is cut to the reply budget at its far end, so that the next page (after its
  // last message, or before its first) follows on without a gap. One message always goes: paging moves on.
  FrameBudget budget(ctx.session->reply_budget(), /*min_frames=*/1);
  std::vector<nlohmann::json> entries;
  entries.reserve(page.size());
  for (const auto& message : page) entries.push_back(message_json(message));
  const auto fits = [&](const nlohmann::json& entry) { return budget.take(entry.dump().size() + 1); };
  std::size_t first = 0;  // kept: [first, last)
  std::size_t last = entries.size();
  if (after) {
    for (last = 0; last < entries.size() && fits(entries[last]);) ++last;
  } else {
    for (first = entries.size(); first > 0 && fits(entries[first - 1]);) --first;
  }
  auto messages = nlohmann::json::array();
  for (std::size_t i = first; i < last; ++i) messages.push_back(std::move(entries[i]));
  auto reply = ctx.ok();
  reply["room"] = room->name();
  reply["messages"] = std::move(messages);
  if (budget.exhausted()) reply["truncated"] = true;
  ctx.reply(reply);
}

}  // namespace

void add_message_commands(CommandTable& table) {
  // A send only queues its message for the group committer: it can run on the reader.
  table.add({.op = "send",
             .priority = Priority::High,
             .key = OrderingKey::Room,
             .runs_on_reader = true,
             .handler = send});
  table.add({.op = "dm", .priority = Priority::High, .key = OrderingKey::Recipient, .handler = direct_message});
  // Under the room's key, so that a history read after a pipelined join (or send) sees it.
  table.add({.op = "history", .priority = Priority::Low, .key = OrderingKey::Room, .handler = history});
}

}  // namespace chat
