#include "client/buffer_list.hpp"

#include <algorithm>

namespace chat::client {

std::string Buffer::label() const { return kind == BufferKind::Room ? "#" + name : name; }

std::string Buffer::entry(std::size_t number) const {
  std::string text = std::to_string(number) + ":" + label();
  if (unread > 0) text += "(" + std::to_string(unread) + (highlight ? "!)" : ")");
  return text;
}

BufferList::BufferList(std::size_t scrollback, std::size_t max_buffers)
    : scrollback_(scrollback == 0 ? 1 : scrollback), max_buffers_(max_buffers < 2 ? 2 : max_buffers) {
  buffers_.push_back(Buffer{BufferKind::Status, "status", {}, 0, false});
}

std::optional<std::size_t> BufferList::find(BufferKind kind, std::string_view name) const {
  for (std::size_t i = 0; i < buffers_.size(); ++i) {
    if (buffers_[i].kind == kind && buffers_[i].name == name) return i + 1;
  }
  return std::nullopt;
}

std::size_t BufferList::open(BufferKind kind, std::string_view name) {
  if (kind == BufferKind::Status) return kStatus;
  if (const auto number = find(kind, name)) return *number;
  if (buffers_.size() >= max_buffers_) return kStatus;
  buffers_.push_back(Buffer{kind, std::string(name), {}, 0, false});
  return buffers_.size();
}

bool BufferList::close(std::size_t number) {
  if (number <= kStatus || number > buffers_.size()) return false;
  buffers_.erase(buffers_.begin() + static_cast<std::ptrdiff_t>(number - 1));
  if (current_ >= number) current_ = current_ == number ? number - 1 : current_ - 1;
  if (current_ > buffers_.size()) current_ = buffers_.size();
  return true;
}

bool BufferList::add(std::size_t number, std::string line, Activity activity) {
  Buffer& buffer = buffers_.at(number - 1);
  buffer.lines.push_back(std::move(line));
  while (buffer.lines.size() > scrollback_) buffer.lines.pop_front();
  if (number == current_) return true;
  if (activity != Activity::Quiet) ++buffer.unread;
  if (activity == Activity::Highlight) buffer.highlight = true;
  return false;
}

bool BufferList::select(std::size_t number) {
  if (number < 1 || number > buffers_.size()) return false;
  current_ = number;
  buffers_[number - 1].unread = 0;
  buffers_[number - 1].highlight = false;
  return true;
}

std::size_t BufferList::next() const noexcept { return current_ % buffers_.size() + 1; }

std::size_t BufferList::previous() const noexcept { return current_ == 1 ? buffers_.size() : current_ - 1; }

std::string BufferList::status_line() const {
  std::string line = "[" + std::to_string(current_) + ":" + at(current_).label() + "]";
  std::vector<std::size_t> shown;
  std::size_t more = 0;
  // Highlights first, then the rest, each in buffer order, as many as fit.
  for (const bool highlights : {true, false}) {
    for (std::size_t number = 1; number <= buffers_.size(); ++number) {
      const Buffer& buffer = at(number);
      if (number == current_ || buffer.unread == 0 || buffer.highlight != highlights) continue;
      if (shown.size() < kStatusLineEntries) {
        shown.push_back(number);
      } else {
        ++more;
      }
    }
  }
  std::sort(shown.begin(), shown.end());
  for (const std::size_t number : shown) line += " " + at(number).entry(number);
  if (more != 0) line += " +" + std::to_string(more) + " more";
  return line;
}

}  // namespace chat::client
