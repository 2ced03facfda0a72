#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace chat::client {

struct FormatOptions {
  bool color = false;
  bool json = false;  // one JSON object per line, as received
  bool utc = false;   // times in UTC instead of local time (tests)
  // For a person at the keyboard: /history framed by a header and an end
  // line, and the date before the time of a message from another day.
  // Scripts leave it off, so their output stays as it was.
  bool interactive = false;
};

// Turns server events and replies into the lines a person (or, with json,
// a program) reads. Text from other users is stripped of control characters
// so that nobody can move the cursor or recolour another user's terminal.
class OutputFormatter {
 public:
  explicit OutputFormatter(FormatOptions options) : options_(options) {}

  // Lines for a server event; none for events that are not for display.
  std::vector<std::string> event(const nlohmann::json& event) const;

  // Lines for the reply to a request the user made; none when the reply adds
  // nothing (a send is shown by its echo).
  std::vector<std::string> reply(const nlohmann::json& request, const nlohmann::json& reply) const;

  // A note from the client itself ("reconnecting in 2 s").
  std::string status(std::string_view text) const;

  // Something the user got wrong, or a failure not tied to a reply.
  std::string problem(std::string_view text) const;

  bool json() const noexcept { return options_.json; }

  // Whether the session is logged in as a guest, which changes the hint for
  // a join of a room that does not exist (a guest may not create rooms).
  void set_guest(bool guest) noexcept { guest_ = guest; }
  // The name the session is logged in as: one's own action in a direct
  // message ("[dm -> bob] * alice waves") names it, as the reply does not.
  void set_user(std::string user) { user_ = std::move(user); }

 private:
  enum class Style { Time, Room, Note, Error, Dm, Bold };

  std::string paint(Style style, std::string_view text) const;
  std::string paint_user(std::string_view user) const;
  std::string clock(const nlohmann::json& message) const;
  // Who wrote a msg, history entry or dm: "~name" for a guest.
  static std::string sender(const nlohmann::json& message);
  std::string room(const nlohmann::json& message) const;
  std::string message_line(std::string_view room_name, const nlohmann::json& message) const;
  // "text", or "* alice waves" for an action: what follows a message's header.
  std::string body(const nlohmann::json& message, std::string_view author, std::string_view text) const;
  std::string whois_line(const nlohmann::json& reply) const;
  std::string error_line(const nlohmann::json& error, std::string_view context) const;
  std::vector<std::string> ok_lines(const nlohmann::json& request, const nlohmann::json& reply) const;
  std::vector<std::string> room_list(const nlohmann::json& reply) const;
  std::string member_list(const nlohmann::json& reply) const;

  std::vector<std::string> error_lines(const nlohmann::json& request, const nlohmann::json& reply) const;

  FormatOptions options_;
  bool guest_ = false;
  std::string user_;
};

// A short description of a request for error lines: "join #secret".
std::string describe_request(const nlohmann::json& request);

}  // namespace chat::client
