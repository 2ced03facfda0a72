#include "loadtest/member_session.hpp"

#include <algorithm>

#include <boost/asio/error.hpp>

#include "common/frames.hpp"
#include "loadtest/clock.hpp"
#include "loadtest/message_stamp.hpp"

namespace chat::loadtest {
namespace {

// Generous: the tool must be able to read any line the server may send.
constexpr std::size_t kMaxLineBytes = 1 << 20;

}  // namespace

MemberSession::MemberSession(RunContext& context, Listener& listener)
    : context_(context),
      listener_(listener),
      connection_(context.io, std::span<char>(context.read_buffer), *this, context.tls),
      framer_(kMaxLineBytes) {
  if (context.websocket) {
    connection_.use_websocket(context.websocket->address().to_string() + ":" +
                              std::to_string(context.websocket->port()));
  }
}

void MemberSession::start(Setup setup) {
  setup_ = std::move(setup);
  state_ = State::Connecting;
  pending_.clear();
  sends_in_flight_ = 0;
  tracker_.reset();
  user_.clear();
  end_reason_.clear();
  framer_ = LineFramer(kMaxLineBytes);
  setup_started_us_ = now_us();
  connection_.connect(context_.next_server(), context_.sources.next());
}

void MemberSession::on_connected() { state_ = State::LoggingIn; }

void MemberSession::send_guest() {
  auto body = make_request("guest");
  body["name"] = setup_.name;
  request(Op::Guest, std::move(body));
}

void MemberSession::send_message(std::uint64_t send_us) {
  if (state_ != State::Ready) return;
  auto body = make_request("send");
  body["room"] = setup_.room;
  body["text"] = stamped_text(send_us, context_.message_bytes);
  ++context_.stats.sent;
  ++sends_in_flight_;
  request(Op::Send, std::move(body), send_us);
}

void MemberSession::leave() {
  if (state_ != State::Ready) return;
  state_ = State::Leaving;
  auto body = make_request("leave");
  body["room"] = setup_.room;
  request(Op::Leave, std::move(body));
}

void MemberSession::ping() {
  if (state_ == State::Ready) request(Op::Ping, make_request("ping"));
}

void MemberSession::request(Op op, nlohmann::json body, std::uint64_t send_us) {
  const std::int64_t id = next_id_++;
  body["id"] = id;
  pending_.push_back({id, op, send_us});
  connection_.send(to_line(body));
}

void MemberSession::close() noexcept {
  connection_.close();
  framer_ = LineFramer(kMaxLineBytes);
  state_ = State::Closed;
}

void MemberSession::on_bytes(std::string_view bytes, std::uint64_t arrived_us) {
  if (framer_.append(bytes) == LineFramer::Status::TooLarge) {
    connection_.close();
    return on_closed(boost::asio::error::message_size);
  }
  const auto generation = connection_.generation();
  while (auto line = framer_.next_line()) {
    if (line->empty()) continue;
    on_line(*line, arrived_us);
    if (connection_.generation() != generation) return;  // closed or reconnected meanwhile
  }
}

void MemberSession::on_line(std::string_view line, std::uint64_t arrived_us) {
  const auto fields = LineFields::scan(line);
  if (!fields) {
    ++context_.stats.unreadable_lines;
    return;
  }
  const auto type = fields->string("type").value_or("");
  if (type == "msg") return on_message(*fields, arrived_us);
  if (type == "ok" || type == "pong") return on_reply(*fields, true, arrived_us);
  if (type == "error") {
    if (fields->has("id")) return on_reply(*fields, false, arrived_us);
    // An error event: the server is about to close the connection.
    const auto code = fields->string("code").value_or("unknown");
    context_.stats.count_error(code);
    end_reason_ = code;
    return;
  }
  if (type == "hello" && state_ == State::LoggingIn) send_guest();
  // presence, topic and the rest carry nothing the measurement needs.
}

void MemberSession::on_message(const LineFields& fields, std::uint64_t arrived_us) {
  if (!tracker_ || state_ != State::Ready) return;
  const auto seq = fields.integer("seq");
  if (!seq || fields.string("room") != setup_.room || fields.has("replay")) {
    ++context_.stats.unreadable_lines;
    return;
  }
  RunStats& stats = context_.stats;
  ++stats.deliveries;
  const bool fresh = tracker_->on_message(static_cast<std::uint64_t>(*seq)) != RoomTracker::Arrival::Duplicate;
  // The sender's own copy is checked for loss and order like any other, but
  // it is not a delivery to another member: the throughput and latency
  // figures count only those, as the figures they are compared with do.
  if (fields.string("from") == user_) {
    if (fresh) ++stats.echo_deliveries;
    return;
  }
  const auto stamp = read_stamp(fields.string("text").value_or(""));
  if (fresh && stamp && context_.window.contains(*stamp)) {
    ++stats.delivered_measured;
    stats.latency_us.record(arrived_us > *stamp ? arrived_us - *stamp : 0);
  }
}

std::optional<MemberSession::Pending> MemberSession::take_pending(std::optional<std::int64_t> id) {
  // Replies come in request order except across rooms; one room per session
  // makes the front the match nearly always.
  const auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) { return p.id == id; });
  if (it == pending_.end()) return std::nullopt;
  const Pending pending = *it;
  pending_.erase(it);
  return pending;
}

void MemberSession::on_reply(const LineFields& fields, bool ok, std::uint64_t arrived_us) {
  const auto pending = take_pending(fields.integer("id"));
  if (!pending) {
    ++context_.stats.unreadable_lines;
    return;
  }
  const auto code = fields.string("code").value_or("unknown");
  if (!ok) context_.stats.count_error(code);
  switch (pending->op) {
    case Op::Guest:
      // The name as the server spells it (lowercase), to tell our own messages.
      if (ok) user_ = std::string(fields.string("user").value_or(setup_.name));
      if (ok && setup_.room.empty()) {
        state_ = State::Ready;
        listener_.on_ready(*this);
      } else if (ok) {
        state_ = State::Joining;
        auto body = make_request("join");
        body["room"] = setup_.room;
        request(Op::Join, std::move(body));
      } else {
        fail_setup(code);
      }
      return;
    case Op::Join:
      if (!ok) return fail_setup(code);
      if (setup_.track) tracker_.emplace(static_cast<std::uint64_t>(fields.integer("last_seq").value_or(0)));
      state_ = State::Ready;
      listener_.on_ready(*this);
      return;
    case Op::Send:
      return on_send_reply(fields, ok, pending->send_us, arrived_us);
    case Op::Leave:
      // A refused leave is a failed cycle, not a completed one.
      if (!ok) return fail_setup(code);
      state_ = State::Closed;
      listener_.on_left(*this);
      return;
    case Op::Ping:
      return;
  }
}

void MemberSession::on_send_reply(const LineFields& fields, bool ok, std::uint64_t send_us,
                                  std::uint64_t arrived_us) {
  --sends_in_flight_;
  RunStats& stats = context_.stats;
  if (ok) {
    ++stats.acked;
    if (const auto seq = fields.integer("seq"); seq && setup_.room_index >= 0) {
      stats.rooms[static_cast<std::size_t>(setup_.room_index)].note_acked(static_cast<std::uint64_t>(*seq));
    }
    if (context_.window.contains(send_us)) {
      ++stats.sent_measured;
      stats.ack_latency_us.record(arrived_us > send_us ? arrived_us - send_us : 0);
    }
  } else {
    ++stats.send_errors;
  }
  listener_.on_send_done(*this);
}

// Setup, or a churner's leave, was refused: the connection ends here.
void MemberSession::fail_setup(std::string_view code) {
  end_reason_ = code;
  close();
  listener_.on_closed(*this, false);
}

void MemberSession::on_closed(const boost::system::error_code& error) {
  namespace error_codes = boost::asio::error;
  if (end_reason_.empty()) {  // no error event came first
    end_reason_ = error == error_codes::eof || error == error_codes::connection_reset ? "closed"
                  : error == error_codes::connection_refused                           ? "refused"
                                                                                       : "io_error";
  }
  const bool was_ready = state_ == State::Ready || state_ == State::Leaving;
  state_ = State::Closed;
  if (was_ready) ++context_.stats.disconnects;
  listener_.on_closed(*this, was_ready);
}

}  // namespace chat::loadtest
