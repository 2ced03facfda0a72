#include "client/terminal_output.hpp"

#include "client/server_fields.hpp"

namespace chat::client {

void TerminalOutput::data(const std::vector<std::string>& lines) {
  for (const auto& line : lines) writer_.write(line, Channel::Data);
}

void TerminalOutput::event(const nlohmann::json& event) { data(formatter_.event(event)); }

void TerminalOutput::reply(const nlohmann::json& request, const nlohmann::json& reply) {
  // A failed command is a diagnostic (stderr in scripts) unless a program
  // asked for JSON, where it is data like any other reply.
  const bool failed = reply.value("type", "") == "error";
  const auto channel = failed && !formatter_.json() ? Channel::Notice : Channel::Data;
  const auto op = reply.value("op", "");
  if (!failed && (op == "login" || op == "register" || op == "guest")) formatter_.set_guest(bool_field(reply, "guest"));
  for (const auto& line : formatter_.reply(request, reply)) writer_.write(line, channel);
}

// Notices stay plain text even in JSON mode: they go to stderr for people.
void TerminalOutput::status(std::string_view text) { writer_.write(formatter_.status(text), Channel::Notice); }

void TerminalOutput::problem(std::string_view text) { writer_.write(formatter_.problem(text), Channel::Notice); }

void TerminalOutput::room_changed(const std::string& room) {
  if (on_room_) on_room_(room);
}

}  // namespace chat::client
