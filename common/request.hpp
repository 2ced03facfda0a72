#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/protocol_error.hpp"

namespace chat {

// A request that failed validation, with whatever of its op and id could be
// read so that the error reply can still be matched by the client.
class RequestError : public ProtocolError {
 public:
  RequestError(ErrorCode code, const std::string& message, std::string op = {}, nlohmann::json id = nullptr)
      : ProtocolError(code, message), op_(std::move(op)), id_(std::move(id)) {}
  // The same error, tied to its request.
  RequestError(const ProtocolError& error, std::string op, nlohmann::json id)
      : ProtocolError(error), op_(std::move(op)), id_(std::move(id)) {}
  const std::string& op() const noexcept { return op_; }
  const nlohmann::json& id() const noexcept { return id_; }

 private:
  std::string op_;
  nlohmann::json id_;
};

// One client request: its op, its optional id (string or integer; null when
// absent) and its fields. Field accessors throw ProtocolError(bad_request)
// naming the field when it is missing or of the wrong type.
class Request {
 public:
  Request(std::string op, nlohmann::json id, nlohmann::json body);

  const std::string& op() const noexcept { return op_; }
  const nlohmann::json& id() const noexcept { return id_; }
  const nlohmann::json& body() const noexcept { return body_; }

  std::string required_string(std::string_view key) const;
  std::optional<std::string> optional_string(std::string_view key) const;
  std::optional<std::int64_t> optional_int(std::string_view key) const;
  bool optional_bool(std::string_view key, bool fallback) const;

 private:
  const nlohmann::json* field(std::string_view key) const;

  std::string op_;
  nlohmann::json id_;
  nlohmann::json body_;
};

// Parses one protocol line (without its '\n'): valid UTF-8, one JSON object,
// a string "op", an optional string-or-integer "id". Throws RequestError.
Request parse_request(std::string_view line);

}  // namespace chat
