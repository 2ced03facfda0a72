#include "loadtest/redis_member.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/error.hpp>

#include "loadtest/clock.hpp"
#include "loadtest/message_stamp.hpp"

namespace chat::loadtest {
namespace {

using Type = RespReader::Type;

bool is_bulk(const RespReader::Element& element, std::string_view text) noexcept {
  return element.type == Type::BulkString && element.text == text;
}

// The reason an error reply gives, as a code like the chat server's: Redis at
// maxclients is "overloaded", as the chat server at its connection limit;
// anything else is the error's first word in lowercase ("err", "noperm").
std::string code_of(std::string_view message) {
  if (message.find("max number of clients") != std::string_view::npos) return "overloaded";
  std::string code(message.substr(0, std::min(message.find(' '), std::size_t{32})));
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return code.empty() ? "unknown" : code;
}

// "*N\r\n" and each argument as a bulk string, appended to out.
void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto arg : args) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
}

}  // namespace

RedisMember::Link::Link(RedisMember& owner, RunContext& context)
    : owner_(owner), connection_(context.io, std::span<char>(context.read_buffer), *this) {}

void RedisMember::Link::connect(RunContext& context) {
  ready = false;
  reader_.reset();
  connection_.connect(context.server, context.sources.next());
}

void RedisMember::Link::close() noexcept {
  ready = false;
  connection_.close();
  reader_.reset();
}

void RedisMember::Link::on_connected() { owner_.on_connected(*this); }

void RedisMember::Link::on_bytes(std::string_view bytes, std::uint64_t arrived_us) {
  reader_.feed(bytes);
  const auto generation = connection_.generation();
  while (auto reply = reader_.next()) {
    owner_.on_reply(*this, *reply, arrived_us);
    if (connection_.generation() != generation) return;  // closed or reconnected meanwhile; reset by then
  }
  if (reader_.failed()) {
    // Nothing after a break in the protocol can be trusted: the member ends here.
    ++owner_.context_.stats.unreadable_lines;
    owner_.on_link_lost("protocol_error");
  }
}

void RedisMember::Link::on_closed(const boost::system::error_code& error) {
  namespace error_codes = boost::asio::error;
  reader_.reset();
  owner_.on_link_lost(error == error_codes::eof || error == error_codes::connection_reset ? "closed"
                      : error == error_codes::connection_refused                           ? "refused"
                                                                                           : "io_error");
}

RedisMember::RedisMember(RunContext& context, Listener& listener)
    : context_(context), listener_(listener), subscriber_(*this, context) {}

void RedisMember::start(Setup setup) {
  close();
  setup_ = std::move(setup);
  state_ = State::SettingUp;
  pending_.clear();
  trackers_.clear();
  end_reason_.clear();
  next_seq_ = 1;
  setup_started_us_ = now_us();
  subscriber_.connect(context_);
  if (publishes()) {
    // Kept once made (its socket's handlers may still be queued), never made for a non-sender.
    if (!publisher_) publisher_ = std::make_unique<Link>(*this, context_);
    publisher_->connect(context_);
  }
}

void RedisMember::on_connected(Link& link) {
  if (&link == publisher_.get()) return write(link, {"PING"});
  if (setup_.room.empty()) return write(link, {"PING"});
  write(link, {"SUBSCRIBE", setup_.room});
}

void RedisMember::send_message(std::uint64_t send_us) {
  if (state_ != State::Ready || !publishes()) return;
  const std::uint64_t seq = next_seq_++;
  text_.clear();
  append_stamped_text(text_, {send_us, static_cast<std::uint32_t>(setup_.sender_rank), seq}, context_.message_bytes);
  ++context_.stats.sent;
  pending_.push_back({seq, send_us});
  write(*publisher_, {"PUBLISH", setup_.room, text_});
}

void RedisMember::leave() {
  if (state_ != State::Ready) return;
  state_ = State::Leaving;
  write(subscriber_, {"UNSUBSCRIBE", setup_.room});
}

// A subscribed connection answers PING too (with a "pong" push); Redis's
// `timeout` does not apply to subscribers, but it may to idle members.
void RedisMember::ping() {
  if (state_ == State::Ready) write(subscriber_, {"PING"});
}

void RedisMember::close() noexcept {
  subscriber_.close();
  if (publisher_) publisher_->close();
  state_ = State::Closed;
}

void RedisMember::write(Link& link, std::initializer_list<std::string_view> args) {
  command_.clear();
  append_command(command_, args);
  link.write(command_);
}

void RedisMember::on_reply(Link& link, const RespReader::Reply& reply, std::uint64_t arrived_us) {
  if (&link == publisher_.get()) return on_publisher_reply(reply, arrived_us);
  on_subscriber_reply(reply, arrived_us);
}

void RedisMember::on_subscriber_reply(const RespReader::Reply& reply, std::uint64_t arrived_us) {
  const auto& e = reply.elements;
  if (reply.type == Type::Array && e.size() >= 2 && e[0].type == Type::BulkString) {
    if (is_bulk(e[0], "message") && e.size() == 3 && e[1].type == Type::BulkString &&
        e[2].type == Type::BulkString) {
      return on_message(e[1].text, e[2].text, arrived_us);
    }
    if (is_bulk(e[0], "subscribe") && state_ == State::SettingUp && is_bulk(e[1], setup_.room)) {
      if (setup_.track) trackers_.assign(setup_.streams, RoomTracker());
      subscriber_.ready = true;
      return check_ready();
    }
    if (is_bulk(e[0], "unsubscribe") && state_ == State::Leaving) {
      state_ = State::Closed;
      return listener_.on_left(*this);
    }
    if (is_bulk(e[0], "pong") && state_ == State::Ready) return;  // keep-alive
  }
  if (reply.type == Type::SimpleString && reply.text == "PONG") {
    if (state_ == State::SettingUp && setup_.room.empty()) {
      subscriber_.ready = true;
      return check_ready();
    }
    if (state_ == State::Ready) return;  // keep-alive
  }
  if (reply.type == Type::Error) return on_error_reply(reply.text);
  ++context_.stats.unreadable_lines;
}

void RedisMember::on_message(std::string_view channel, std::string_view payload, std::uint64_t arrived_us) {
  if (trackers_.empty() || state_ != State::Ready) return;
  const auto stamp = read_sender_stamp(payload);
  if (channel != setup_.room || !stamp || stamp->sender >= trackers_.size()) {
    ++context_.stats.unreadable_lines;
    return;
  }
  RunStats& stats = context_.stats;
  ++stats.deliveries;
  const bool fresh = trackers_[stamp->sender].on_message(stamp->seq) != RoomTracker::Arrival::Duplicate;
  // As in chat mode: the sender's own copy is checked, but counted apart.
  if (static_cast<int>(stamp->sender) == setup_.sender_rank) {
    if (fresh) ++stats.echo_deliveries;
    return;
  }
  if (fresh && context_.window.contains(stamp->send_us)) {
    ++stats.delivered_measured;
    stats.latency_us.record(arrived_us > stamp->send_us ? arrived_us - stamp->send_us : 0);
  }
}

// Before the member is ready, the only reply owed is the one to the setup
// PING; after it, one per PUBLISH, in order. A refused PUBLISH has used its
// seq all the same: the receivers then see a gap, and the run fails twice.
void RedisMember::on_publisher_reply(const RespReader::Reply& reply, std::uint64_t arrived_us) {
  if (!publisher_->ready) {
    if (reply.type == Type::SimpleString && reply.text == "PONG" && state_ == State::SettingUp) {
      publisher_->ready = true;
      return check_ready();
    }
    if (reply.type == Type::Error) return on_error_reply(reply.text);
    ++context_.stats.unreadable_lines;
    return;
  }
  if (pending_.empty() || (reply.type != Type::Integer && reply.type != Type::Error)) {
    ++context_.stats.unreadable_lines;
    return;
  }
  const Pending sent = pending_.front();
  pending_.pop_front();
  RunStats& stats = context_.stats;
  if (reply.type == Type::Integer) {
    ++stats.acked;
    const auto own_stream = setup_.first_stream + static_cast<unsigned>(setup_.sender_rank);
    if (own_stream < stats.rooms.size()) stats.rooms[own_stream].note_acked(sent.seq);
    if (context_.window.contains(sent.send_us)) {
      ++stats.sent_measured;
      stats.ack_latency_us.record(arrived_us > sent.send_us ? arrived_us - sent.send_us : 0);
    }
  } else {
    ++stats.send_errors;
    stats.count_error(code_of(reply.text));
  }
  listener_.on_send_done(*this);
}

void RedisMember::on_error_reply(std::string_view message) {
  const auto code = code_of(message);
  if (state_ == State::SettingUp) return fail_setup(code);
  context_.stats.count_error(code);
  end_reason_ = code;  // Redis may close the connection next
}

void RedisMember::check_ready() {
  if (state_ != State::SettingUp || !subscriber_.ready || (publishes() && !publisher_->ready)) return;
  state_ = State::Ready;
  listener_.on_ready(*this);
}

void RedisMember::fail_setup(std::string_view code) {
  end_reason_ = code;
  close();
  listener_.on_closed(*this, false);
}

// One of the connections ended (the other one is closed with it): during
// setup that member failed, after it the member is lost.
void RedisMember::on_link_lost(std::string_view reason) {
  if (state_ == State::Closed || state_ == State::Idle) return;
  if (end_reason_.empty()) end_reason_ = reason;
  const bool was_ready = state_ == State::Ready || state_ == State::Leaving;
  close();
  if (was_ready) ++context_.stats.disconnects;
  listener_.on_closed(*this, was_ready);
}

}  // namespace chat::loadtest
