#include "loadtest/websocket_framing.hpp"

namespace chat::loadtest {

namespace {
constexpr std::size_t kMaxMessageBytes = 1 << 20;  // as the line framer of MemberSession
constexpr std::uint8_t kContinuation = 0x0, kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;
}  // namespace

WebSocketFraming::WebSocketFraming(std::string host) : host_(std::move(host)) {}

void WebSocketFraming::reset() {
  open_ = false;
  input_.clear();
  message_.clear();
}

std::string WebSocketFraming::upgrade_request() const {
  // No Origin: a load tester is no browser page. The key needs not be secret, only present.
  return "GET /ws HTTP/1.1\r\nHost: " + host_ +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: Y2hhdC1sb2FkdGVzdC1rZXk=\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n";
}

WebSocketFraming::Result WebSocketFraming::take(std::string_view bytes, std::string& lines, std::string& replies) {
  input_.append(bytes);
  if (!open_) {
    const auto end = input_.find("\r\n\r\n");
    if (end == std::string::npos) return input_.size() > 16 * 1024 ? Result::Refused : Result::Ok;
    if (!input_.starts_with("HTTP/1.1 101")) return Result::Refused;
    input_.erase(0, end + 4);
    open_ = true;
  }
  std::size_t at = 0;
  for (;;) {
    const std::string_view rest(input_.data() + at, input_.size() - at);
    if (rest.size() < 2) break;
    const auto first = static_cast<std::uint8_t>(rest[0]);
    const auto second = static_cast<std::uint8_t>(rest[1]);
    std::size_t header = 2;
    std::uint64_t length = second & 0x7F;
    if (length == 126) {
      if (rest.size() < 4) break;
      length = (std::uint64_t{static_cast<std::uint8_t>(rest[2])} << 8) | static_cast<std::uint8_t>(rest[3]);
      header = 4;
    } else if (length == 127) {
      if (rest.size() < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<std::uint8_t>(rest[i]);
      header = 10;
    }
    if (second & 0x80) return Result::Malformed;  // a server never masks
    if (length > kMaxMessageBytes) return Result::Malformed;
    if (rest.size() < header + length) break;
    const auto payload = rest.substr(header, length);
    const bool fin = first & 0x80;
    switch (first & 0x0F) {
      case kText:
      case kContinuation:
        if (message_.size() + payload.size() > kMaxMessageBytes) return Result::Malformed;
        message_.append(payload);
        if (fin) {
          lines.append(message_);
          lines.push_back('\n');
          message_.clear();
        }
        break;
      case kPing:
        append_frame(kPong, payload, replies);
        break;
      case kPong:
        break;
      case kClose:
        input_.clear();
        return Result::Closed;
      default:
        return Result::Malformed;
    }
    at += header + length;
  }
  input_.erase(0, at);
  return Result::Ok;
}

void WebSocketFraming::encode(std::string_view text, std::string& out) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    append_frame(kText, text.substr(0, end), out);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
}

void WebSocketFraming::append_frame(std::uint8_t opcode, std::string_view payload, std::string& out) {
  out.push_back(static_cast<char>(0x80 | opcode));
  const std::size_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((std::uint64_t{size} >> shift) & 0xFF));
    }
  }
  // A client must mask (RFC 6455, 5.3); a cheap generator is enough: the server only unmasks.
  mask_seed_ ^= mask_seed_ << 13;
  mask_seed_ ^= mask_seed_ >> 17;
  mask_seed_ ^= mask_seed_ << 5;
  const char mask[4] = {static_cast<char>(mask_seed_ >> 24), static_cast<char>(mask_seed_ >> 16),
                        static_cast<char>(mask_seed_ >> 8), static_cast<char>(mask_seed_)};
  out.append(mask, 4);
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < size; ++i) out[start + i] = static_cast<char>(out[start + i] ^ mask[i & 3]);
}

}  // namespace chat::loadtest
