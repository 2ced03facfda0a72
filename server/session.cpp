#include "server/session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <span>

#include "common/error_code.hpp"

namespace chat {

namespace asio = boost::asio;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {
// What a wakeup reads beyond the session's own small buffer: taken, a read at a time, from one
// buffer per io thread, so that an idle connection holds no read buffer.
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kNever = std::chrono::steady_clock::time_point::max();
// The writer keeps its gather vectors between writes up to this many frames; a burst's larger
// ones are given back when it goes idle.
constexpr std::size_t kIdleBatchCapacity = 16;
// Batches the writer sends in one turn on the strand before it yields to the connection's other
// handlers.
constexpr int kWritesPerTurn = 8;

std::span<char> thread_read_buffer() {
  thread_local std::array<char, kReadChunk> buffer;
  return buffer;
}
}  // namespace

Session::Session(tcp::socket socket, std::uint64_t id, std::string remote_address, const Limits& limits,
                 SessionHost& host)
    : socket_(std::move(socket)),
      id_(id),
      remote_address_(std::move(remote_address)),
      limits_(limits),
      host_(host),
      framer_(limits.max_frame_bytes),
      resume_signal_(socket_.get_executor(), kNever),
      idle_timer_(socket_.get_executor()),
      rate_(limits.rate_per_sec, limits.rate_burst) {
  // Reads past the first bytes and writes are tried at once and must never block an io thread.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

Session::~Session() = default;

void Session::start() {
  idle_deadline_ = std::chrono::steady_clock::now() + limits_.idle_timeout;
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
    self->maybe_finished();
  };
  asio::co_spawn(socket_.get_executor(), read_loop(), on_done);
  asio::post(socket_.get_executor(), [self] { self->arm_watchdog(); });
}

bool Session::deliver(Frame frame) {
  bool wake = false;
  bool overflow = false;
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load(std::memory_order_relaxed) || flush_then_close_) return false;
    if (outbound_bytes_ + frame->size() > limits_.outbound_queue_bytes) {
      overflow = true;
    } else {
      outbound_bytes_ += frame->size();
      outbound_.push_back(std::move(frame));
      wake = !std::exchange(writing_, true);
    }
  }
  if (overflow) {
    spdlog::warn("conn={} slow consumer: more than {} bytes queued", id_, limits_.outbound_queue_bytes);
    close(DisconnectReason::SlowConsumer);
    return false;
  }
  if (wake) asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
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
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_socket(); });
}

void Session::close_after(DisconnectReason reason, Frame last) {
  record_reason(reason);
  stop_reading_.store(true);
  bool wake = false;
  {
    std::lock_guard lock(out_mutex_);
    if (closed_.load() || flush_then_close_) return;
    if (last) {
      outbound_bytes_ += last->size();
      outbound_.push_back(std::move(last));
    }
    flush_then_close_ = true;
    wake = !std::exchange(writing_, true);
  }
  asio::post(socket_.get_executor(), [self = shared_from_this(), wake] {
    // Reading ends now; a peer that does not read gets close_grace to take the last frame.
    self->resume_signal_.cancel();
    boost::system::error_code ignored;
    self->socket_.shutdown(tcp::socket::shutdown_receive, ignored);
    if (wake) self->write_next();
    if (self->socket_closed_) return;
    // Made only now: most connections never close this way, and an idle one should be small.
    self->grace_timer_ = std::make_unique<asio::steady_timer>(self->socket_.get_executor());
    self->grace_timer_->expires_after(self->limits_.close_grace);
    self->grace_timer_->async_wait([self](boost::system::error_code ec) {
      if (!ec) self->close(DisconnectReason::SlowConsumer);
    });
  });
}

void Session::stop_reading() {
  stop_reading_.store(true);
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->socket_.shutdown(tcp::socket::shutdown_receive, ignored);
    self->resume_signal_.cancel();
  });
}

void Session::close_socket() {
  boost::system::error_code ignored;
  if (static_cast<DisconnectReason>(reason_.load()) == DisconnectReason::SlowConsumer) {
    // Abortive close: what the peer did not read is dropped at once instead of
    // lingering in kernel buffers, so a stalled reader costs nothing after it is cut.
    socket_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
  }
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  std::function<void()> abandoned;  // it may hold this session: released here, or it would keep it alive
  {
    std::lock_guard lock(out_mutex_);
    abandoned = std::move(on_drained_);
    on_drained_ = nullptr;
  }
  resume_signal_.cancel();
  idle_timer_.cancel();
  if (grace_timer_) grace_timer_->cancel();
  socket_closed_ = true;
  maybe_finished();
}

void Session::resume_reading() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->reading_paused_ = false;
    self->resume_signal_.cancel();
  });
}

bool Session::take_rate_token() {
  if (rate_.try_take()) {
    rate_strikes_ = 0;
    return true;
  }
  if (++rate_strikes_ >= limits_.rate_abuse_strikes) {
    spdlog::warn("conn={} addr={} closed for rate abuse after {} refused requests", id_, remote_address_,
                 rate_strikes_);
    close_after(DisconnectReason::RateAbuse,
                to_frame(error_reply(ErrorCode::RateLimited, "too many requests; closing the connection")));
  }
  return false;
}

bool Session::establish(Identity identity, const std::function<bool()>& admit) {
  std::lock_guard lock(state_mutex_);
  if (departed_ || identity_ || closed_.load()) return false;
  if (!admit()) return false;
  identity_ = std::move(identity);
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
  std::lock_guard lock(state_mutex_);
  if (final) departed_ = true;
  return {std::exchange(identity_, std::nullopt), std::exchange(rooms_, {})};
}

asio::awaitable<void> Session::read_loop() {
  auto self = shared_from_this();
  boost::system::error_code ec;
  for (;;) {
    if (stop_reading_.load()) co_return;
    // The wait for data reads into the session's small buffer (the reactor's speculative read
    // and its wake-up are race-free); whatever else has arrived is then read at once into the
    // io thread's buffer. A read shorter than its buffer means the socket is drained.
    std::size_t n = co_await socket_.async_read_some(asio::buffer(first_bytes_), asio::redirect_error(use_awaitable, ec));
    if (!ec) (void)framer_.append(std::string_view(first_bytes_.data(), n));
    for (std::size_t filled = first_bytes_.size(); !ec && n == filled && !framer_.failed();) {
      const std::span<char> more = thread_read_buffer();
      n = socket_.read_some(asio::buffer(more.data(), more.size()), ec);
      filled = more.size();
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
      } else if (!ec) {
        (void)framer_.append(std::string_view(more.data(), n));  // a line too long shows in failed()
      }
    }
    if (stop_reading_.load()) co_return;  // reading was ended on purpose; writing goes on
    if (!ec) idle_deadline_ = std::chrono::steady_clock::now() + limits_.idle_timeout;
    // Lines read before an end of stream or an error are still handled.
    while (auto line = framer_.next_line()) {
      if (line->empty()) continue;
      if (host_.on_line(self, *line)) {
        reading_paused_ = true;
        while (reading_paused_ && !stop_reading_.load() && !is_closed()) {
          boost::system::error_code ignored;
          co_await resume_signal_.async_wait(asio::redirect_error(use_awaitable, ignored));
          resume_signal_.expires_at(kNever);
        }
      }
      if (stop_reading_.load() || is_closed()) co_return;
    }
    if (framer_.failed()) break;
    if (ec) {
      if (ec == asio::error::eof || ec == asio::error::connection_reset) {
        close(DisconnectReason::ClientClosed);
      } else if (ec != asio::error::operation_aborted) {
        spdlog::debug("conn={} read failed: {}", id_, ec.message());
        close(DisconnectReason::IoError);
      }
      co_return;
    }
  }
  spdlog::warn("conn={} addr={} request line over {} bytes; closing", id_, remote_address_, limits_.max_frame_bytes);
  close_after(DisconnectReason::TooLarge,
              to_frame(error_reply(ErrorCode::TooLarge, "request line longer than " +
                                                           std::to_string(limits_.max_frame_bytes) + " bytes")));
}

void Session::write_next() {
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
      close(reason_set_.load() ? static_cast<DisconnectReason>(reason_.load()) : DisconnectReason::Shutdown);
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
      drop_batch(batch_bytes());
      return;
    }
    buffers_.clear();
    for (const auto& frame : batch_) buffers_.emplace_back(asio::buffer(*frame));
    // Written at once (the socket is non-blocking): a reader that keeps up takes the whole batch,
    // with no reactor round trip and no completion handler. Only what it cannot take now waits.
    boost::system::error_code ec;
    std::size_t written = socket_.write_some(buffers_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      ec = {};
      written = 0;
    }
    const std::size_t total = batch_bytes();
    if (ec || written == total) {
      if (const auto drained = drop_batch(total)) drained();
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
    asio::async_write(socket_, buffers_, [self = shared_from_this()](boost::system::error_code error, std::size_t) {
      self->on_written(error);
    });
    return;
  }
  // A connection written to without pause: let the strand's other work (its reader) run first.
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->write_next(); });
}

std::size_t Session::batch_bytes() const {
  std::size_t bytes = 0;
  for (const auto& frame : batch_) bytes += frame->size();
  return bytes;
}

std::function<void()> Session::drop_batch(std::size_t bytes) {
  batch_.clear();
  std::lock_guard lock(out_mutex_);
  outbound_bytes_ -= bytes;
  if (on_drained_ && outbound_bytes_ <= limits_.outbound_queue_bytes / 2 && !is_closed()) {
    return std::exchange(on_drained_, nullptr);
  }
  return nullptr;
}

void Session::on_written(boost::system::error_code ec) {
  write_in_flight_ = false;
  if (const auto drained = drop_batch(batch_bytes())) drained();
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
  // The deadline moves with every read; the timer is re-armed only when it fires, so reads never
  // touch the timer. A plain handler rather than a third coroutine: an idle connection is
  // mostly its frames.
  if (is_closed()) return;
  idle_timer_.expires_at(idle_deadline_);
  idle_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->is_closed()) return;
    if (std::chrono::steady_clock::now() < self->idle_deadline_) return self->arm_watchdog();
    spdlog::info("conn={} idle for {} s; closing", self->id_, self->limits_.idle_timeout.count());
    self->close(DisconnectReason::IdleTimeout);
  });
}

void Session::maybe_finished() {
  if (finished_ || !reader_done_ || !socket_closed_ || write_in_flight_) return;
  finished_ = true;
  host_.on_closed(shared_from_this(), static_cast<DisconnectReason>(reason_.load()));
}

}  // namespace chat
