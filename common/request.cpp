#include "common/request.hpp"

#include "common/utf8.hpp"

namespace chat {
namespace {

std::string field_error(std::string_view key, std::string_view expected) {
  return "field '" + std::string(key) + "' must be " + std::string(expected);
}

}  // namespace

Request::Request(std::string op, nlohmann::json id, nlohmann::json body)
    : op_(std::move(op)), id_(std::move(id)), body_(std::move(body)) {}

const nlohmann::json* Request::field(std::string_view key) const {
  const auto it = body_.find(key);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Request::required_string(std::string_view key) const {
  auto value = optional_string(key);
  if (!value) throw ProtocolError(ErrorCode::BadRequest, "missing field '" + std::string(key) + "'");
  return std::move(*value);
}

std::optional<std::string> Request::optional_string(std::string_view key) const {
  const auto* value = field(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw ProtocolError(ErrorCode::BadRequest, field_error(key, "a string"));
  // "\u0000" is valid JSON, but PostgreSQL cannot store it and no field means anything by it: refused on every
  // backend alike, before anything is stored or echoed.
  const auto& text = value->get_ref<const std::string&>();
  if (text.find('\0') != std::string::npos) {
    throw ProtocolError(ErrorCode::BadRequest, field_error(key, "a string without U+0000"));
  }
  return text;
}

std::optional<std::int64_t> Request::optional_int(std::string_view key) const {
  const auto* value = field(key);
  if (!value) return std::nullopt;
  if (!value->is_number_integer()) throw ProtocolError(ErrorCode::BadRequest, field_error(key, "an integer"));
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
    throw ProtocolError(ErrorCode::BadRequest, field_error(key, "an integer in range"));
  }
  return value->get<std::int64_t>();
}

bool Request::optional_bool(std::string_view key, bool fallback) const {
  const auto* value = field(key);
  if (!value) return fallback;
  if (!value->is_boolean()) throw ProtocolError(ErrorCode::BadRequest, field_error(key, "true or false"));
  return value->get<bool>();
}

Request parse_request(std::string_view line) {
  if (!is_valid_utf8(line)) throw RequestError(ErrorCode::BadRequest, "request is not valid UTF-8");
  // The JSON parser takes a NUL byte for the end of its input: whatever followed it would pass unseen. JSON
  // allows no raw control character anywhere, so a line with a NUL is malformed as a whole.
  if (line.find('\0') != std::string_view::npos) throw RequestError(ErrorCode::BadRequest, "malformed JSON");
  nlohmann::json body = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) throw RequestError(ErrorCode::BadRequest, "malformed JSON");
  if (!body.is_object()) throw RequestError(ErrorCode::BadRequest, "request must be a JSON object");

  nlohmann::json id = nullptr;
  if (const auto it = body.find("id"); it != body.end()) {
    if (!it->is_string() && !it->is_number_integer() && !it->is_null()) {
      throw RequestError(ErrorCode::BadRequest, "field 'id' must be a string or an integer");
    }
    id = *it;
  }
  const auto op = body.find("op");
  if (op == body.end()) throw RequestError(ErrorCode::BadRequest, "missing field 'op'", {}, id);
  if (!op->is_string()) throw RequestError(ErrorCode::BadRequest, "field 'op' must be a string", {}, id);
  std::string op_name = op->get<std::string>();
  return Request(std::move(op_name), std::move(id), std::move(body));
}

}  // namespace chat
