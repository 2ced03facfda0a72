#include "common/frames.hpp"

namespace chat {

std::string to_line(const nlohmann::json& message) {
  std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

Frame to_frame(const nlohmann::json& message) { return make_frame(to_line(message)); }

Frame make_frame(std::string lines) {
  if (lines.capacity() - lines.size() > lines.size() / 8) lines.shrink_to_fit();
  return std::make_shared<const std::string>(std::move(lines));
}

std::size_t frame_cost(const std::string& frame) noexcept {
  constexpr std::size_t kFrameOverhead = 64;  // control block and string (48), queue slot (16)
  return frame.capacity() + kFrameOverhead;
}

nlohmann::json ok_reply(std::string_view op, const nlohmann::json& id) {
  nlohmann::json reply{{"type", "ok"}, {"op", op}};
  if (!id.is_null()) reply["id"] = id;
  return reply;
}

nlohmann::json error_reply(ErrorCode code, std::string_view message, std::string_view op, const nlohmann::json& id) {
  nlohmann::json reply{{"type", "error"}};
  if (!op.empty()) reply["op"] = op;
  if (!id.is_null()) reply["id"] = id;
  reply["code"] = to_string(code);
  reply["message"] = message;
  return reply;
}

nlohmann::json error_reply(const ProtocolError& error, std::string_view op, const nlohmann::json& id) {
  auto reply = error_reply(error.code(), error.what(), op, id);
  if (const auto wait = error.retry_after()) reply["retry_after_ms"] = wait->count();
  return reply;
}

nlohmann::json event(std::string_view type) { return nlohmann::json{{"type", type}}; }

nlohmann::json make_request(std::string_view op, const nlohmann::json& id) {
  nlohmann::json request{{"op", op}};
  if (!id.is_null()) request["id"] = id;
  return request;
}

}  // namespace chat
