#include "client/command_parser.hpp"

#include <charconv>

#include "common/names.hpp"

namespace chat::client {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && (is_space(text.back()) || text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

// Walks the argument part of a line token by token; text slots take the rest.
class Tokens {
 public:
  explicit Tokens(std::string_view rest) : rest_(trim(rest)) {}

  std::string_view peek() const { return rest_.substr(0, token_end()); }
  std::string_view take() {
    const auto token = peek();
    rest_ = trim(rest_.substr(token.size()));
    return token;
  }
  std::string_view take_rest() { return std::exchange(rest_, {}); }
  bool empty() const noexcept { return rest_.empty(); }

 private:
  std::size_t token_end() const {
    std::size_t end = 0;
    while (end < rest_.size() && !is_space(rest_[end])) ++end;
    return end;
  }
  std::string_view rest_;
};

std::optional<std::int64_t> to_number(std::string_view token) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc{} || end != token.data() + token.size()) return std::nullopt;
  return value;
}

// Fills one slot; returns an error message or nothing.
std::optional<std::string> fill(ArgKind kind, Tokens& tokens, Command& command) {
  switch (kind) {
    case ArgKind::Name:
    case ArgKind::User: {
      const auto token = tokens.take();
      if (token.empty()) return "missing user name";
      command.user = canonical_user_name(token);
      if (!command.user) return "invalid user name '" + std::string(token) + "'";
      return std::nullopt;
    }
    case ArgKind::Room:
    case ArgKind::OptRoom: {
      if (kind == ArgKind::OptRoom && !tokens.peek().starts_with('#')) return std::nullopt;
      const auto token = tokens.take();
      if (token.empty()) return "missing room name";
      command.room = canonical_room_name(token);
      if (!command.room) return "invalid room name '" + std::string(token) + "'";
      return std::nullopt;
    }
    case ArgKind::PrivateFlag:
      if (tokens.peek() == "--private" || tokens.peek() == "-p") {
        tokens.take();
        command.private_room = true;
      }
      return std::nullopt;
    case ArgKind::Text:
    case ArgKind::OptText:
      if (!tokens.empty()) command.text = std::string(tokens.take_rest());
      if (kind == ArgKind::Text && !command.text) return "missing text";
      return std::nullopt;
    case ArgKind::OptCount: {
      if (tokens.empty()) return std::nullopt;
      const auto token = tokens.take();
      command.number = to_number(token);
      if (!command.number || *command.number < 1) return "'" + std::string(token) + "' is not a positive number";
      return std::nullopt;
    }
    case ArgKind::Millis: {
      const auto token = tokens.take();
      command.number = to_number(token);
      if (!command.number || *command.number < 0) return "expected milliseconds, not '" + std::string(token) + "'";
      return std::nullopt;
    }
    case ArgKind::OptCommand: {
      auto token = tokens.take();
      if (token.starts_with('/')) token.remove_prefix(1);
      if (!token.empty()) command.text = std::string(token);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string usage(const SlashCommand& spec) {
  std::string line = "/" + std::string(spec.name);
  if (!spec.args.empty()) line += " " + std::string(spec.args);
  return line;
}

ParsedLine parse_line(std::string_view line) {
  const auto trimmed = trim(line);
  if (trimmed.empty()) return std::monostate{};
  if (!trimmed.starts_with('/')) return ChatText{std::string(trimmed)};
  if (trimmed.starts_with("//")) return ChatText{std::string(trimmed.substr(1))};

  Tokens head(trimmed.substr(1));
  const auto name = head.take();
  const SlashCommand* spec = find_command(name);
  if (!spec) return UsageError{"unknown command /" + std::string(name) + " (try /help)"};

  Command command;
  command.spec = spec;
  Tokens tokens(head.take_rest());
  for (const ArgKind kind : spec->arguments()) {
    if (auto error = fill(kind, tokens, command)) return UsageError{*error + "; usage: " + usage(*spec)};
  }
  if (!tokens.empty()) return UsageError{"too many arguments; usage: " + usage(*spec)};
  return command;
}

}  // namespace chat::client
