#include "client/output_formatter.hpp"

#include <chrono>
#include <ctime>

#include "client/server_fields.hpp"

namespace chat::client {
namespace {

constexpr std::string_view kReset = "\033[0m";

std::string note(std::string_view text) { return "-- " + std::string(text); }

std::string presence_action(std::string_view action) {
  if (action == "join") return "joined";
  if (action == "leave") return "left";
  if (action == "disconnect") return "went offline";
  if (action == "kick") return "was kicked";
  if (action == "ban") return "was banned";
  return std::string(action);
}

}  // namespace

std::string describe_request(const nlohmann::json& request) {
  std::string text = string_field(request, "op");
  if (const auto room = string_field(request, "room"); !room.empty()) text += " #" + room;
  for (const auto* key : {"user", "to", "name"}) {
    if (const auto user = string_field(request, key); !user.empty()) text += " " + user;
  }
  return text;
}

std::string OutputFormatter::paint(Style style, std::string_view text) const {
  if (!options_.color) return std::string(text);
  std::string_view code;
  switch (style) {
    case Style::Time: code = "\033[2m"; break;
    case Style::Room: code = "\033[36m"; break;
    case Style::Note: code = "\033[33m"; break;
    case Style::Error: code = "\033[1;31m"; break;
    case Style::Dm: code = "\033[35m"; break;
    case Style::Bold: code = "\033[1m"; break;
  }
  return std::string(code) + std::string(text) + std::string(kReset);
}

std::string OutputFormatter::paint_user(std::string_view user) const {
  if (!options_.color) return std::string(user);
  // A stable colour per name makes a busy room easier to follow.
  static constexpr std::string_view kColors[] = {"\033[1;32m", "\033[1;33m", "\033[1;34m",
                                                 "\033[1;35m", "\033[1;36m", "\033[1;91m"};
  std::size_t hash = 0;
  for (const char c : user) hash = hash * 31 + static_cast<unsigned char>(c);
  return std::string(kColors[hash % std::size(kColors)]) + std::string(user) + std::string(kReset);
}

std::string OutputFormatter::clock(const nlohmann::json& message) const {
  using namespace std::chrono;
  const auto now_ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(int_field(message, "ts").value_or(now_ms) / 1000);
  std::tm parts{};
  if (options_.utc) {
    gmtime_r(&seconds, &parts);
  } else {
    localtime_r(&seconds, &parts);
  }
  bool today = true;
  if (options_.interactive) {
    const std::time_t now = static_cast<std::time_t>(now_ms / 1000);
    std::tm now_parts{};
    if (options_.utc) {
      gmtime_r(&now, &now_parts);
    } else {
      localtime_r(&now, &now_parts);
    }
    today = parts.tm_year == now_parts.tm_year && parts.tm_yday == now_parts.tm_yday;
  }
  char text[24];
  std::strftime(text, sizeof text, today ? "%H:%M" : "%Y-%m-%d %H:%M", &parts);
  return paint(Style::Time, text);
}

std::string OutputFormatter::room(const nlohmann::json& message) const {
  return paint(Style::Room, "#" + string_field(message, "room"));
}

std::string OutputFormatter::sender(const nlohmann::json& message) {
  // '~' is no character of a name, so a guest cannot pass for the account of the same name (IRC's mark of an
  // unverified user).
  return (bool_field(message, "guest") ? "~" : "") + string_field(message, "from");
}

// An action (the protocol's "kind":"action", from /me) reads as IRC shows
// one: "* alice waves". Plain text has no "kind"; an unknown kind is shown
// as text, so a newer server's messages are never lost.
std::string OutputFormatter::body(const nlohmann::json& message, std::string_view author,
                                  std::string_view text) const {
  if (string_field(message, "kind") != "action") return std::string(text);
  return paint(Style::Bold, "*") + " " + paint_user(author) + " " + std::string(text);
}

std::string OutputFormatter::message_line(std::string_view room_name, const nlohmann::json& message) const {
  const auto head = clock(message) + " " + paint(Style::Room, "#" + std::string(room_name)) + " ";
  if (string_field(message, "kind") == "action") return head + body(message, sender(message), string_field(message, "text"));
  return head + "<" + paint_user(sender(message)) + "> " + string_field(message, "text");
}

std::string OutputFormatter::whois_line(const nlohmann::json& reply) const {
  std::string line = string_field(reply, "user") + (bool_field(reply, "registered") ? " has an account" : " is a guest");
  line += bool_field(reply, "online") ? ", online" : ", offline";
  std::string rooms;
  for (const auto& entry : array_field(reply, "rooms")) {
    if (!entry.is_string()) continue;
    rooms += (rooms.empty() ? "#" : ", #") + printable(entry.get_ref<const std::string&>());
  }
  line += rooms.empty() ? ", no rooms in common" : "; rooms in common: " + rooms;
  return status(line);
}

std::string OutputFormatter::status(std::string_view text) const { return paint(Style::Note, note(text)); }

std::string OutputFormatter::problem(std::string_view text) const {
  return paint(Style::Error, "!! " + std::string(text));
}

std::string OutputFormatter::error_line(const nlohmann::json& error, std::string_view context) const {
  std::string line = paint(Style::Error, "error [" + string_field(error, "code") + "]") + " " +
                     string_field(error, "message");
  if (!context.empty()) line += " (" + std::string(context) + ")";
  return line;
}

std::vector<std::string> OutputFormatter::event(const nlohmann::json& event) const {
  if (options_.json) return {event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  const auto type = string_field(event, "type");
  if (type == "msg") return {message_line(string_field(event, "room"), event)};
  if (type == "dm") {
    const auto header = "[dm " + sender(event) + " -> " + string_field(event, "to") + "]";
    return {clock(event) + " " + paint(Style::Dm, header) + " " + body(event, sender(event), string_field(event, "text"))};
  }
  if (type == "presence") {
    return {clock(event) + " " + room(event) + " " +
            note(paint_user(string_field(event, "user")) + " " + presence_action(string_field(event, "action")))};
  }
  if (type == "topic") {
    return {clock(event) + " " + room(event) + " " +
            note(string_field(event, "by") + " set the topic: " + string_field(event, "topic"))};
  }
  if (type == "kicked" || type == "banned") {
    std::string line = clock(event) + " " + room(event) + " " +
                       paint(Style::Error, "-- you were " + type + " by " + string_field(event, "by"));
    if (const auto reason = string_field(event, "reason"); !reason.empty()) line += " (" + reason + ")";
    return {line};
  }
  if (type == "invited") {
    const auto where = string_field(event, "room");
    return {clock(event) + " " +
            status(string_field(event, "by") + " invited you to #" + where + " (/join #" + where + ")")};
  }
  if (type == "error") return {error_line(event, "from the server")};
  if (type == "shutdown") return {status("the server is shutting down: " + string_field(event, "message"))};
  return {};  // hello, pong and events this client does not know
}

std::vector<std::string> OutputFormatter::reply(const nlohmann::json& request, const nlohmann::json& reply) const {
  if (options_.json) return {reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  if (string_field(reply, "type") == "error") return error_lines(request, reply);
  return ok_lines(request, reply);
}

// The error line, and for a join of a room that does not exist, how to make
// it: that is what someone typing "/join #new" usually meant.
std::vector<std::string> OutputFormatter::error_lines(const nlohmann::json& request,
                                                      const nlohmann::json& reply) const {
  std::vector<std::string> lines{error_line(reply, describe_request(request))};
  if (string_field(reply, "code") != "not_found" || string_field(request, "op") != "join") return lines;
  const auto where = "#" + string_field(request, "room");
  lines.push_back(status(guest_ ? "a guest can /create " + where + " only where the server lets guests create rooms"
                                : "/create " + where + " makes one"));
  return lines;
}

std::vector<std::string> OutputFormatter::ok_lines(const nlohmann::json& request, const nlohmann::json& reply) const {
  const auto op = string_field(reply, "op");
  const auto where = "#" + string_field(reply, "room");
  const auto user = string_field(reply, "user");
  if (op == "register" || op == "login" || op == "guest") {
    return {status("logged in as " + user + (bool_field(reply, "guest") ? " (guest)" : ""))};
  }
  if (op == "join") {
    std::string line = "joined " + where;
    if (const auto topic = string_field(reply, "topic"); !topic.empty()) line += " (topic: " + topic + ")";
    if (const auto replayed = int_field(reply, "replayed").value_or(0); replayed > 0) {
      line += ", " + std::to_string(replayed) + " missed message" + (replayed == 1 ? "" : "s");
    }
    if (bool_field(reply, "truncated")) line += "; older ones were not replayed, see /history";
    return {status(line)};
  }
  if (op == "create") {
    std::string line = "created " + where + (bool_field(reply, "private") ? " (private)" : "");
    if (const auto topic = string_field(reply, "topic"); !topic.empty()) line += ", topic: " + topic;
    return {status(line)};
  }
  if (op == "leave") return {status("left " + where)};
  if (op == "rooms") return room_list(reply);
  if (op == "members") return {member_list(reply)};
  if (op == "topic") {
    const auto topic = string_field(reply, "topic");
    return {status(where + " topic: " + (topic.empty() ? "(none)" : topic))};
  }
  if (op == "invite") return {status("invited " + user + " to " + where)};
  if (op == "kick") return {status("kicked " + user + " from " + where)};
  if (op == "ban") return {status("banned " + user + " from " + where)};
  if (op == "unban") return {status("unbanned " + user + " in " + where)};
  if (op == "moderator") return {status(user + " is now " + string_field(reply, "role") + " in " + where)};
  if (op == "dm") {
    // The text is the request's own: the reply does not repeat it.
    return {clock(reply) + " " + paint(Style::Dm, "[dm -> " + string_field(reply, "to") + "]") + " " +
            body(request, user_.empty() ? "(you)" : user_, string_field(request, "text"))};
  }
  if (op == "whois") return {whois_line(reply)};
  if (op == "history") {
    const auto& messages = array_field(reply, "messages");
    if (messages.empty()) return {status("no messages in " + where)};
    std::vector<std::string> lines;
    if (options_.interactive) {
      lines.push_back(status("history of " + where + ", " + std::to_string(messages.size()) + " message" +
                             (messages.size() == 1 ? "" : "s") + ":"));
    }
    for (const auto& message : messages) lines.push_back(message_line(string_field(reply, "room"), message));
    if (options_.interactive) lines.push_back(status("end of history of " + where));
    return lines;
  }
  return {};  // send (its echo shows it), logout, ping
}

std::vector<std::string> OutputFormatter::room_list(const nlohmann::json& reply) const {
  const auto& rooms = array_field(reply, "rooms");
  if (rooms.empty()) return {status("no rooms yet; /create #name makes one")};
  std::vector<std::string> lines{status(std::to_string(rooms.size()) + " room" + (rooms.size() == 1 ? "" : "s") + ":")};
  for (const auto& entry : rooms) {
    std::string line = "   " + room(entry) + "  " + std::to_string(int_field(entry, "online").value_or(0)) + "/" +
                       std::to_string(int_field(entry, "members").value_or(0)) + " online";
    if (bool_field(entry, "private")) line += "  (private)";
    if (const auto topic = string_field(entry, "topic"); !topic.empty()) line += "  " + topic;
    lines.push_back(line);
  }
  return lines;
}

std::string OutputFormatter::member_list(const nlohmann::json& reply) const {
  std::string line = "#" + string_field(reply, "room") + " members:";
  const auto& members = array_field(reply, "members");
  if (members.empty()) return status(line + " (none)");
  const char* separator = " ";
  for (const auto& member : members) {
    line += separator + string_field(member, "user");
    const auto role = string_field(member, "role");
    std::string tags = role == "member" || role.empty() ? "" : role;
    if (!bool_field(member, "online")) tags += tags.empty() ? "offline" : ", offline";
    if (!tags.empty()) line += " (" + tags + ")";
    separator = ", ";
  }
  return status(line);
}

}  // namespace chat::client
