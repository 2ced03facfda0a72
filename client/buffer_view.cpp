#include "client/buffer_view.hpp"

#include "client/mention.hpp"
#include "client/readline_prompt.hpp"
#include "client/server_fields.hpp"

namespace chat::client {
namespace {

bool is_error(const nlohmann::json& reply) { return string_field(reply, "type") == "error"; }

// What a buffer's log file is called: "#general", "bob", "(status)": distinct for a room, a user and the
// status buffer of one name (user names have neither '#' nor parentheses).
std::string log_name(const Buffer& buffer) {
  return buffer.kind == BufferKind::Status ? "(status)" : buffer.label();
}

}  // namespace

BufferView::BufferView(OutputFormatter formatter, ReadlinePrompt& screen, BufferViewOptions options)
    : formatter_(formatter), screen_(screen), options_(std::move(options)), buffers_(options_.scrollback) {
  if (!options_.log_dir.empty()) {
    // Said once per file, in the status buffer; the client carries on without it.
    log_ = std::make_unique<BufferLog>(options_.log_dir, [this](std::string why) {
      add(BufferList::kStatus, formatter_.problem(why), Activity::Message);
    });
  }
  update_prompt();
}

BufferView::~BufferView() = default;

void BufferView::add(std::size_t number, const std::string& line, Activity activity) {
  if (log_) log_->write(log_name(buffers_.at(number)), line);
  if (buffers_.add(number, line, activity)) {
    screen_.write(line, Channel::Data);
    return;
  }
  if (activity == Activity::Quiet) return;
  if (activity == Activity::Highlight && options_.bell) screen_.bell();
  update_prompt();
}

void BufferView::add_all(std::size_t number, const std::vector<std::string>& lines, Activity activity) {
  for (const auto& line : lines) add(number, line, activity);
}

void BufferView::update_prompt() { screen_.set_prompt(buffers_.status_line() + "> "); }

void BufferView::repaint() {
  screen_.repaint(buffers_.at(buffers_.current()).lines);
  update_prompt();
}

std::size_t BufferView::room_buffer(const std::string& room) {
  if (room.empty()) return BufferList::kStatus;
  return buffers_.open(BufferKind::Room, room);
}

std::size_t BufferView::dm_buffer(const std::string& user) {
  if (user.empty()) return BufferList::kStatus;
  return buffers_.open(BufferKind::Dm, user);
}

// One's own lines never count; a line that names you, or a direct message
// to you, is a highlight (irssi counts a query line as one too).
Activity BufferView::message_activity(const nlohmann::json& message) const {
  const auto from = string_field(message, "from");
  if (!user_.empty() && from == user_) return Activity::Quiet;
  if (string_field(message, "type") == "dm") return Activity::Highlight;
  return mentions(string_field(message, "text"), user_) ? Activity::Highlight : Activity::Message;
}

void BufferView::event(const nlohmann::json& event) {
  const auto lines = formatter_.event(event);
  if (lines.empty()) return;
  const auto type = string_field(event, "type");
  const auto room = string_field(event, "room");
  if (type == "msg") return add_all(room_buffer(room), lines, message_activity(event));
  if (type == "dm") {
    const auto from = string_field(event, "from");
    return add_all(dm_buffer(from == user_ ? string_field(event, "to") : from), lines, message_activity(event));
  }
  if (type == "presence" || type == "topic") return add_all(room_buffer(room), lines, Activity::Quiet);
  if (type == "kicked" || type == "banned") return add_all(room_buffer(room), lines, Activity::Highlight);
  // invited, the server's errors and shutdown: the server talking to you.
  add_all(BufferList::kStatus, lines, Activity::Message);
}

void BufferView::reply(const nlohmann::json& request, const nlohmann::json& reply) {
  const auto op = string_field(request, "op");
  if (!is_error(reply) && (op == "login" || op == "register" || op == "guest")) {
    formatter_.set_guest(bool_field(reply, "guest"));
  }
  const auto lines = formatter_.reply(request, reply);
  std::size_t number = buffers_.current();
  if (!is_error(reply)) {
    if (op == "join" || op == "create") {
      auto room = string_field(reply, "room");
      number = room_buffer(room.empty() ? string_field(request, "room") : room);
    } else if (op == "dm") {
      // Kept in the conversation; also shown where it was typed when that is
      // elsewhere (a /msg from a room), as the only sign that it went.
      const std::size_t conversation = dm_buffer(string_field(request, "to"));
      if (conversation != number) add_all(conversation, lines, Activity::Quiet);
    } else if (op == "leave") {
      // The room's buffer closes; the line stays where you are.
      if (const auto gone = buffers_.find(BufferKind::Room, string_field(request, "room"))) {
        const bool was_shown = *gone == buffers_.current();
        buffers_.close(*gone);
        if (was_shown) repaint();
        update_prompt();
      }
      number = buffers_.current();
    }
  }
  add_all(number, lines, Activity::Quiet);
}

void BufferView::status(std::string_view text) {
  add(BufferList::kStatus, formatter_.status(text), Activity::Message);
}

void BufferView::problem(std::string_view text) {
  add(BufferList::kStatus, formatter_.problem(text), Activity::Message);
}

void BufferView::Shown::status(std::string_view text) {
  view_.add(view_.buffers_.current(), view_.formatter_.status(text), Activity::Quiet);
}

void BufferView::Shown::problem(std::string_view text) {
  view_.add(view_.buffers_.current(), view_.formatter_.problem(text), Activity::Quiet);
}

// The link's current room changed: a join, /switch, or the room shown was
// left. Joining a room shows its buffer, as the current room did before
// buffers; with no room left, the status buffer.
void BufferView::room_changed(const std::string& room) {
  const Buffer& shown = buffers_.at(buffers_.current());
  if (room.empty()) {
    if (shown.kind == BufferKind::Room) show(BufferList::kStatus);
    return;
  }
  if (shown.kind == BufferKind::Room && shown.name == room) return;
  show(room_buffer(room));
}

void BufferView::logged_in(const std::string& user) {
  user_ = user;
  formatter_.set_user(user);
}

ChatTarget BufferView::chat_target() const {
  const Buffer& shown = buffers_.at(buffers_.current());
  switch (shown.kind) {
    case BufferKind::Room: return {ChatTarget::Kind::Room, shown.name};
    case BufferKind::Dm: return {ChatTarget::Kind::Dm, shown.name};
    case BufferKind::Status: break;
  }
  return {ChatTarget::Kind::None, {}};
}

bool BufferView::show(std::size_t number) {
  if (!buffers_.select(number)) return false;
  repaint();
  const Buffer& shown = buffers_.at(number);
  if (shown.kind == BufferKind::Room && on_room_shown_) on_room_shown_(shown.name);
  return true;
}

void BufferView::show_next() { show(buffers_.next()); }

void BufferView::show_previous() { show(buffers_.previous()); }

void BufferView::list() {
  std::string line = "buffers:";
  for (std::size_t number = 1; number <= buffers_.size(); ++number) {
    line += " " + buffers_.at(number).entry(number);
  }
  shown_.status(line + "  (/window N or Alt-N shows one)");
}

void BufferView::query(const std::string& user) { show(dm_buffer(user)); }

void BufferView::close_conversation() {
  const std::size_t number = buffers_.current();
  if (buffers_.at(number).kind != BufferKind::Dm) return;
  buffers_.close(number);
  repaint();
}

}  // namespace chat::client
