#include "server/net/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <span>

#include "common/error_code.hpp"
#include "server/log_throttle.hpp"

namespace chat {

namespace asio = boost::asio;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kNever = std::chrono::steady_clock::time_point::max();
// The writer keeps its gather vectors between writes up to this many frames; a burst's larger
// ones are given back when it goes idle.
constexpr std::size_t kIdleBatchCapacity = 16;
// Batches the writer sends in one turn on the strand before it yields to the connection's other
// handlers.
constexpr int kWritesPerTurn = 8;
}  // namespace

Session::Session(std::unique_ptr<Transport> transport, std::uint64_t id, std::string remote_address,
                 const Limits& limits, SessionHost& host)
    : transport_(std::move(transport)),
      strand_(transport_->executor()),
      id_(id),
      remote_address_(std::move(remote_address)),
      limits_(limits),
      host_(host),
      framer_(limits.max_frame_bytes),
      resume_signal_(strand_, kNever),
      watchdog_(strand_),
      rate_(limits.rate_per_sec, limits.rate_burst) {}

Session::~Session() = default;

void Session::start() {
  const auto now = std::chrono::steady_clock::now();
  open_deadline_ = now + limits_.handshake_timeout;
  idle_deadline_ = now + limits_.idle_timeout;
  login_deadline_ = now + limits_.login_timeout;
  line_deadline_ = kNever;
  auto self = shared_from_this();
  const auto on_done = [self](std::exception_ptr error) {
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("conn={} session coroutine failed: {}", self->id_, e.what());
      }
      self->close(DisconnectReason::IoError);
    }
    self->reader_done_ = true;
    // The final flush is done and the peer has closed its side too: nothing is left to exchange.
    if (self->output_ended_) self->close(DisconnectReason::ClientClosed);
    self->maybe_finished();
  };
  asio::co_spawn(strand_, read_loop(), on_done);
  asio::post(strand_, [self] { self->arm_watchdog(); });
}

bool Session::deliver(Frame frame) {
  bool wake = false;
  bool overflow = false;
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load(std::memory_order_relaxed) || flush_then_close_) return false;
    if (outbound_bytes_ + frame_cost(*frame) > limits_.outbound_queue_bytes) {
      overflow = true;
    } else {
      outbound_bytes_ += frame_cost(*frame);
      outbound_.push_back(std::move(frame));
      wake = !std::exchange(writing_, true);
    }
  }
  if (overflow) {
    static LogThrottle throttle;
    warn_throttled(throttle, "conn={} slow consumer: more than {} bytes queued", id_, limits_.outbound_queue_bytes);
    close(DisconnectReason::SlowConsumer);
    return false;
  }
  if (wake) asio::post(strand_, [self = shared_from_this()] { self->write_next(); });
  return true;
}

std::size_t Session::reply_budget() const {
  const std::size_t half = limits_.outbound_queue_bytes / 2;
  std::lock_guard lock(out_mutex_);
  return outbound_bytes_ >= half ? 0 : half - outbound_bytes_;
}

void Session::when_drained(std::function<void()> ready) {
  std::function<void()> replaced;  // destroyed outside the lock: it may hold the last reference to anything
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load(std::memory_order_relaxed)) return;
    if (outbound_bytes_ > limits_.outbound_queue_bytes / 2) {
      replaced = std::exchange(on_drained_, std::move(ready));
      return;
    }
  }
  ready();
}

void Session::record_reason(DisconnectReason reason) {
  if (!reason_set_.exchange(true)) reason_.store(static_cast<std::uint8_t>(reason));
}

void Session::close(DisconnectReason reason) {
  record_reason(reason);
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(strand_, [self = shared_from_this()] { self->close_socket(); });
}

void Session::close_after(DisconnectReason reason, Frame last, std::optional<std::chrono::milliseconds> grace) {
  record_reason(reason);
  stop_reading_.store(true);
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load() || close_requested_) return;
    close_requested_ = true;
    close_last_ = std::move(last);
  }
  const auto limit = grace.value_or(limits_.close_grace);
  asio::post(strand_, [self = shared_from_this(), limit] {
    self->resume_signal_.cancel();  // a paused reader goes on, dropping what it reads
    if (self->socket_closed_) return;
    // Made only now: most connections never close this way, and an idle one should be small.
    self->grace_timer_ = std::make_unique<asio::steady_timer>(self->strand_);
    self->grace_timer_->expires_after(limit);
    self->grace_timer_->async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      // Cut, whatever reason was recorded first: the peer had its grace (a WebSocket's closing handshake
      // too) and does not get more.
      self->cut_ = true;
      self->close(DisconnectReason::SlowConsumer);
    });
  });
  // Pairs with release_reply(): whichever of the two comes last sees the other's write.
  if (reply_holds_.load() == 0) finish_when_answered();
}

void Session::release_reply() {
  if (reply_holds_.fetch_sub(1) != 1) return;
  bool requested = false;
  {
    std::lock_guard lock(out_mutex_);
    requested = close_requested_;
  }
  if (requested) finish_when_answered();
}

void Session::finish_when_answered() {
  if (finishing_.exchange(true)) return;
  bool wake = false;
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load()) return;
    if (close_last_) {
      outbound_bytes_ += frame_cost(*close_last_);
      outbound_.push_back(std::move(close_last_));
    }
    flush_then_close_ = true;
    wake = !std::exchange(writing_, true);
  }
  if (wake) asio::post(strand_, [self = shared_from_this()] { self->write_next(); });
}

void Session::end_output() {
  if (output_ended_ || socket_closed_) return;
  output_ended_ = true;
  // FIN, then wait for the peer's: closing with unread input would send a reset, and a reset can
  // destroy the replies the peer has not read yet. The reader drops what still arrives.
  transport_->set_close_reason(static_cast<DisconnectReason>(reason_.load()));
  transport_->shutdown_send();
  if (reader_done_) close(DisconnectReason::ClientClosed);
}

void Session::close_socket() {
  // A stalled reader that was cut costs nothing after it: what it did not read is dropped at once.
  const auto reason = static_cast<DisconnectReason>(reason_.load());
  transport_->set_close_reason(reason);
  transport_->close(cut_ || reason == DisconnectReason::SlowConsumer);
  std::function<void()> abandoned;  // it may hold this session: released here, or it would keep it alive
  {
    std::lock_guard lock(out_mutex_);
    abandoned = std::move(on_drained_);
    on_drained_ = nullptr;
  }
  resume_signal_.cancel();
  watchdog_.cancel();
  if (grace_timer_) grace_timer_->cancel();
  socket_closed_ = true;
  maybe_finished();
}

void Session::resume_reading() {
  asio::post(strand_, [self = shared_from_this()] {
    self->reading_paused_ = false;
    self->resume_signal_.cancel();
  });
}

Session::RateVerdict Session::take_rate_token() {
  if (rate_.try_take()) {
    rate_strikes_ = 0;
    return RateVerdict::Admitted;
  }
  if (++rate_strikes_ < limits_.rate_abuse_strikes) return RateVerdict::Refused;
  static LogThrottle throttle;
  warn_throttled(throttle, "conn={} addr={} closed for rate abuse after {} refused requests", id_, remote_address_,
                 rate_strikes_);
  return RateVerdict::Abuse;
}

bool Session::establish(Identity identity, const std::function<bool()>& admit) {
  {
    std::lock_guard lock(state_mutex_);
    if (departed_ || identity_ || closed_.load()) return false;
    if (!admit()) return false;
    identity_ = std::move(identity);
  }
  asio::post(strand_, [self = shared_from_this()] { self->login_deadline_ = kNever; });
  return true;
}

std::optional<Identity> Session::identity() const {
  std::lock_guard lock(state_mutex_);
  return identity_;
}

bool Session::track_room(const std::string& room) {
  std::lock_guard lock(state_mutex_);
  if (departed_) return false;
  rooms_.insert(room);
  return true;
}

std::pair<std::optional<Identity>, std::set<std::string>> Session::take_state(bool final) {
  std::pair<std::optional<Identity>, std::set<std::string>> state;
  {
    std::lock_guard lock(state_mutex_);
    if (final) departed_ = true;
    state = {std::exchange(identity_, std::nullopt), std::exchange(rooms_, {})};
  }
  if (!final && state.first) {
    // Logged out: the connection has login_timeout to log in again, as after connecting.
    asio::post(strand_, [self = shared_from_this()] {
      self->login_deadline_ = std::chrono::steady_clock::now() + self->limits_.login_timeout;
      self->watch_deadline(self->login_deadline_);
    });
  }
  return state;
}

asio::awaitable<void> Session::read_loop() {
  const auto self = shared_from_this();
  boost::system::error_code ec;
  co_await transport_->open(ec);
  if (ec) co_return on_open_error(ec);
  transport_open_ = true;
  open_deadline_ = kNever;
  write_next();  // what was queued meanwhile (the hello) goes out now
  for (;;) {
    // Each read's lines are handed out before the next read, so the input held never exceeds one
    // unfinished line plus one read.
    auto token = asio::redirect_error(use_awaitable, ec);
    std::string_view bytes =
        co_await asio::async_initiate<decltype(token), void(boost::system::error_code, std::string_view)>(
            [this](auto handler) { transport_->async_read(Transport::ReadHandler(std::move(handler))); }, token);
    while (!ec) {
      co_await take_bytes(self, bytes);  // copied into the framer before any wait
      bytes = transport_->read_now(ec);
    }
    if (ec != asio::error::would_block && ec != asio::error::try_again) co_return on_read_error(ec);
  }
}

asio::awaitable<void> Session::take_bytes(const SessionPtr& self, std::string_view bytes) {
  if (stop_reading_.load()) co_return;  // closing: what still arrives is dropped
  (void)framer_.append(bytes);           // a line too long shows in failed(), after the lines before it
  bool requests = false;
  {
    // The host's bracket around the lines handed out without a wait: ended before any wait (it must end
    // on the thread that began it), and by the destructor if a line's handling throws.
    struct Lines {
      SessionHost& host;
      bool open = false;
      void begin() {
        host.begin_lines();
        open = true;
      }
      void end() {
        if (std::exchange(open, false)) host.end_lines();
      }
      ~Lines() { end(); }
    } lines{host_};
    lines.begin();
    while (auto line = framer_.next_line()) {
      if (line->empty()) continue;
      requests = true;
      if (host_.on_line(self, *line)) {
        lines.end();
        reading_paused_ = true;
        while (reading_paused_ && !stop_reading_.load() && !is_closed()) {
          boost::system::error_code ignored;
          co_await resume_signal_.async_wait(asio::redirect_error(use_awaitable, ignored));
          resume_signal_.expires_at(kNever);
        }
        lines.begin();
      }
      if (stop_reading_.load() || is_closed()) co_return;
    }
  }
  const auto now = std::chrono::steady_clock::now();
  if (requests) idle_deadline_ = now + limits_.idle_timeout;
  if (framer_.failed()) co_return refuse_too_large();
  if (!framer_.has_partial_line()) {
    line_deadline_ = kNever;
  } else if (line_deadline_ == kNever) {
    // A line has begun: it must be finished in time, however slowly its bytes trickle in.
    line_deadline_ = now + limits_.line_timeout;
    watch_deadline(line_deadline_);
  }
}

void Session::refuse_too_large() {
  static LogThrottle throttle;
  warn_throttled(throttle, "conn={} addr={} request line over {} bytes; closing", id_, remote_address_,
                 limits_.max_frame_bytes);
  close_after(DisconnectReason::TooLarge,
              to_frame(error_reply(ErrorCode::TooLarge, "request line longer than " +
                                                           std::to_string(limits_.max_frame_bytes) + " bytes")));
}

void Session::on_read_error(boost::system::error_code ec) {
  if (ec == asio::error::message_size) {
    // A transport that frames messages itself (a WebSocket) found one longer than the line limit.
    refuse_too_large();
  } else if (ec == asio::error::eof) {
    // The peer has finished sending (perhaps only half-closed): what it sent is still answered.
    close_after(DisconnectReason::ClientClosed, nullptr);
  } else if (ec == asio::error::connection_reset) {
    close(DisconnectReason::ClientClosed);
  } else if (ec != asio::error::operation_aborted && !socket_closed_) {
    spdlog::debug("conn={} read failed: {}", id_, ec.message());
    close(DisconnectReason::IoError);
  }
}

void Session::on_open_error(boost::system::error_code ec) {
  // Closed by the watchdog (handshake_timeout) or by the server: the reason is recorded already.
  if (ec == asio::error::operation_aborted || socket_closed_ || is_closed()) return;
  static LogThrottle throttle;
  warn_throttled(throttle, "conn={} addr={} {} handshake failed: {}", id_, remote_address_, transport_->name(),
                 ec.message());
  close(DisconnectReason::HandshakeFailed);
}

void Session::write_next() {
  // Before the transport is open nothing is written (the frames wait: writing_ stays set and the read
  // loop calls this once it opens); while a write is in flight its completion calls this.
  if (!transport_open_ || write_in_flight_) return;
  for (int round = 0; round < kWritesPerTurn; ++round) {
    bool finish = false;
    {
      std::lock_guard lock(out_mutex_);
      if (outbound_.empty()) {
        finish = flush_then_close_;
        writing_ = false;
      } else {
        batch_.swap(outbound_);
      }
    }
    if (finish) {
      end_output();
      return;
    }
    if (batch_.empty()) {
      // Idle: a burst's large gather vectors are given back.
      if (batch_.capacity() > kIdleBatchCapacity) {
        std::vector<Frame>().swap(batch_);
        std::vector<asio::const_buffer>().swap(buffers_);
      }
      return;
    }
    if (socket_closed_) {
      // Closed while this was queued: nothing will be written. The chain ends here.
      drop_batch(batch_cost());
      return;
    }
    buffers_.clear();
    for (const auto& frame : batch_) buffers_.emplace_back(asio::buffer(*frame));
    // Written at once (the socket is non-blocking): a reader that keeps up takes the whole batch,
    // with no reactor round trip and no completion handler. Only what it cannot take now waits.
    boost::system::error_code ec;
    std::size_t written = transport_->write_now(buffers_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      written = 0;
    }
    if (ec || written == asio::buffer_size(buffers_)) {
      if (const auto drained = drop_batch(batch_cost())) drained();
      if (ec) {
        close(DisconnectReason::IoError);
        std::lock_guard lock(out_mutex_);
        writing_ = false;  // nothing more is written on this connection
        return;
      }
      continue;
    }
    auto first = buffers_.begin();
    for (; written >= first->size(); ++first) written -= first->size();
    buffers_.erase(buffers_.begin(), first);
    buffers_.front() += written;
    write_in_flight_ = true;
    transport_->write(buffers_, [self = shared_from_this()](boost::system::error_code error) {
      self->on_written(error);
    });
    return;
  }
  // A connection written to without pause: let the strand's other work (its reader) run first.
  asio::post(strand_, [self = shared_from_this()] { self->write_next(); });
}

std::size_t Session::batch_cost() const {
  std::size_t bytes = 0;
  for (const auto& frame : batch_) bytes += frame_cost(*frame);
  return bytes;
}

std::function<void()> Session::drop_batch(std::size_t cost) {
  batch_.clear();
  std::lock_guard lock(out_mutex_);
  outbound_bytes_ -= cost;
  if (on_drained_ && outbound_bytes_ <= limits_.outbound_queue_bytes / 2 && !is_closed()) {
    return std::exchange(on_drained_, nullptr);
  }
  return nullptr;
}

void Session::on_written(boost::system::error_code ec) {
  write_in_flight_ = false;
  if (const auto drained = drop_batch(batch_cost())) drained();
  if (ec) {
    if (ec != asio::error::operation_aborted) close(DisconnectReason::IoError);
    std::lock_guard lock(out_mutex_);
    writing_ = false;  // nothing more is written on this connection
  } else {
    write_next();
  }
  maybe_finished();
}

void Session::arm_watchdog() {
  // Deadlines move with reads; the timer is re-armed only when it fires, or when a deadline comes
  // earlier than the one it is set for, so reads rarely touch it. Plain handlers rather than a
  // third coroutine: an idle connection is mostly its frames.
  if (is_closed()) return;
  watchdog_at_ = std::min({open_deadline_, idle_deadline_, login_deadline_, line_deadline_});
  watchdog_.expires_at(watchdog_at_);
  watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_watchdog();  // aborted: closed, or set again for an earlier deadline
  });
}

void Session::watch_deadline(std::chrono::steady_clock::time_point deadline) {
  if (deadline < watchdog_at_) arm_watchdog();
}

void Session::on_watchdog() {
  if (is_closed()) return;
  const auto now = std::chrono::steady_clock::now();
  if (now >= open_deadline_) {
    static LogThrottle throttle;
    warn_throttled(throttle, "conn={} addr={} {} handshake unfinished after {} ms; closing", id_, remote_address_,
                   transport_->name(), limits_.handshake_timeout.count());
    return close(DisconnectReason::HandshakeTimeout);
  }
  if (now >= line_deadline_) {
    spdlog::info("conn={} addr={} request line unfinished after {} s; closing", id_, remote_address_,
                 limits_.line_timeout.count());
    return close(DisconnectReason::LineTimeout);
  }
  if (now >= login_deadline_) {
    spdlog::info("conn={} addr={} not logged in after {} s; closing", id_, remote_address_,
                 limits_.login_timeout.count());
    return close(DisconnectReason::LoginTimeout);
  }
  if (now >= idle_deadline_) {
    spdlog::info("conn={} no request for {} s; closing", id_, limits_.idle_timeout.count());
    return close(DisconnectReason::IdleTimeout);
  }
  arm_watchdog();
}

void Session::maybe_finished() {
  if (finished_ || !reader_done_ || !socket_closed_ || write_in_flight_) return;
  finished_ = true;
  host_.on_closed(shared_from_this(), static_cast<DisconnectReason>(reason_.load()));
}

}  // namespace chat
