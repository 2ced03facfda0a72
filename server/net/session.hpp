#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "common/frames.hpp"
#include "common/line_framer.hpp"
#include "server/net/peer_address.hpp"
#include "server/net/disconnect_reason.hpp"
#include "server/auth/identity.hpp"
#include "server/registry/participant.hpp"
#include "server/net/reply_hold.hpp"
#include "server/net/token_bucket.hpp"
#include "server/net/transport.hpp"

namespace chat {

class Session;
using SessionPtr = std::shared_ptr<Session>;

// What a session needs from the server around it.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // One complete request line. Returns true when the session must stop
  // reading until resume_reading() (log-in and log-out are handled before
  // the next request of the connection is read).
  virtual bool on_line(const SessionPtr& session, std::string_view line) = 0;
  // Bracket the lines of one read that are handed out without a wait in between, on one thread: the host
  // may gather what they start (the server commits a client's pipelined sends in one batch).
  virtual void begin_lines() {}
  virtual void end_lines() {}
  // Called once, after the connection is closed, its reader has ended and no
  // write is in flight.
  virtual void on_closed(const SessionPtr& session, DisconnectReason reason) = 0;
};

// One client connection, over any Transport (TCP, TLS, WebSocket): a reader
// coroutine that frames requests and hands them to the host, a writer that
// gathers every queued frame into one write,
// and a watchdog for its deadlines. The writer and the watchdog are plain
// completion handlers that exist only while they have something to do, so an
// idle connection costs the reader's frame, the transport and this object (see
// docs/architecture.md, "Memory per connection"). Transport state changes
// only on the session's strand; deliver(), close() and the identity accessors are
// safe to call from any thread.
//
// Input is bounded: the reader takes one read buffer at a time and hands out
// its complete lines before it reads again, so a peer can make it hold at
// most one unfinished line (max_frame_bytes) plus one read buffer, whatever
// it sends; while a handed-out line waits (a log-in), nothing more is read.
class Session final : public Participant, public std::enable_shared_from_this<Session> {
 public:
  struct Limits {
    std::size_t max_frame_bytes;
    std::size_t outbound_queue_bytes;
    std::chrono::seconds idle_timeout;   // without a complete request
    std::chrono::seconds login_timeout;  // connected (or logged out) without logging in
    std::chrono::seconds line_timeout;   // a request line begun and not finished
    double rate_per_sec;
    double rate_burst;
    std::uint32_t rate_abuse_strikes;
    std::chrono::milliseconds close_grace{2000};  // how long closing after a last frame may take
    // How long the transport's open() (the TLS handshake) may take; a plain connection opens at once.
    std::chrono::milliseconds handshake_timeout{10000};
  };

  Session(std::unique_ptr<Transport> transport, std::uint64_t id, std::string remote_address, const Limits& limits,
          SessionHost& host);
  ~Session() override;

  void start();

  // Participant
  std::uint64_t connection_id() const noexcept override { return id_; }
  bool deliver(Frame frame) override;

  void send(const nlohmann::json& message) { deliver(to_frame(message)); }

  // How many bytes one large answer (a replay, a history page, a backlog of
  // direct messages) may still add to the outbound queue: half its limit,
  // less what is queued now; 0 when more is queued. The other half stays free
  // for live traffic, so an answer never makes its reader a slow consumer.
  std::size_t reply_budget() const;
  // Calls `ready` once the queue has drained to half its limit or less — at
  // once, on this thread, if it has — from whichever thread saw it drain.
  // Never called, and released, if the connection closes first. One waiter
  // at a time: a second call replaces the first. For answers too large for
  // one reply_budget(), sent in parts as the client reads.
  void when_drained(std::function<void()> ready);

  // Closes at once; the first reason given is the one recorded.
  void close(DisconnectReason reason);
  // Stops reading now (what arrives later is read and dropped, so that the
  // close sends no reset that could destroy replies in flight); once every
  // request already read has its reply queued (no ReplyHold left), queues
  // `last` (if any), writes everything, sends FIN and closes when the peer
  // closes too. The whole of it is bounded by `grace` (close_grace when not
  // given); a peer that does not read by then is cut. The first reason given
  // is the one recorded.
  void close_after(DisconnectReason reason, Frame last, std::optional<std::chrono::milliseconds> grace = {});
  bool is_closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  // Continues reading after on_line() returned true.
  void resume_reading();

  // Per-request rate limiting, on the reader: Refused when the request must
  // be refused; Abuse after too many refusals in a row, when the caller closes
  // the connection (close_after) with the refusal as its last frame.
  enum class RateVerdict { Admitted, Refused, Abuse };
  RateVerdict take_rate_token();

  // Identity: established at log-in. establish() runs `admit` (registration
  // in the user registry) atomically with the check that the connection is
  // still open and not logged in, so that a closing connection can never be
  // left registered. A log-in ends the log-in deadline.
  bool establish(Identity identity, const std::function<bool()>& admit);
  std::optional<Identity> identity() const;

  // Rooms this connection subscribed to, so that they can be left when it
  // goes. track_room() fails once the connection is closed.
  bool track_room(const std::string& room);
  // Clears identity and tracked rooms and returns them: at log-out (which
  // starts a new log-in deadline), and (final = true, after which nothing can
  // be established or tracked) when the connection has closed.
  std::pair<std::optional<Identity>, std::set<std::string>> take_state(bool final);

  const std::string& remote_address() const noexcept { return remote_address_; }
  // What the per-address limits count this connection by (peer_address.hpp).
  std::string address_key() const { return chat::address_key(remote_address_); }
  std::string_view transport_name() const noexcept { return transport_->name(); }

  // Requests of this connection handed to the pool and not yet handled (RequestRouter): while there are
  // any, a request that could run on the reader queues behind them, so that the connection's requests
  // are handled in the order they were read.
  void request_queued() noexcept { queued_requests_.fetch_add(1, std::memory_order_relaxed); }
  void request_handled() noexcept { queued_requests_.fetch_sub(1, std::memory_order_release); }
  bool has_queued_requests() const noexcept { return queued_requests_.load(std::memory_order_acquire) != 0; }

 private:
  friend class ReplyHold;
  void hold_reply() noexcept { reply_holds_.fetch_add(1, std::memory_order_relaxed); }
  void release_reply();
  // Queues the last frame and starts the final flush once no reply is owed; runs once.
  void finish_when_answered();

  boost::asio::awaitable<void> read_loop();
  // Frames `bytes` and hands out every complete line before the next read.
  boost::asio::awaitable<void> take_bytes(const SessionPtr& self, std::string_view bytes);
  // `too_large` and a close after it: a line, or a transport's message (asio::error::message_size), over
  // max_frame_bytes.
  void refuse_too_large();
  void on_read_error(boost::system::error_code ec);
  // The transport could not open (a failed TLS handshake): counted apart from read errors.
  void on_open_error(boost::system::error_code ec);
  // The writer: one write at a time gathers everything queued; it runs only while there is
  // something to write, so an idle connection holds no writer state.
  void write_next();
  void on_written(boost::system::error_code ec);
  // What the batch counts against the outbound limit (frame_cost of each frame).
  std::size_t batch_cost() const;
  // Forgets the written (or abandoned) batch; returns the drain callback if it is now due.
  std::function<void()> drop_batch(std::size_t cost);
  // After the final flush: FIN to the peer; the socket closes once the reader has seen the peer's end.
  void end_output();
  // The watchdog: one timer for the handshake, idle, log-in and line deadlines, set to the earliest.
  void arm_watchdog();
  void on_watchdog();
  // Brings the watchdog forward when `deadline` comes before the time it is set for.
  void watch_deadline(std::chrono::steady_clock::time_point deadline);
  void record_reason(DisconnectReason reason);
  void close_socket();
  // Calls SessionHost::on_closed once the socket is closed, the reader has ended and no write is
  // in flight.
  void maybe_finished();

  const std::unique_ptr<Transport> transport_;
  const boost::asio::any_io_executor strand_;  // the transport's
  const std::uint64_t id_;
  const std::string remote_address_;
  const Limits limits_;
  SessionHost& host_;

  // Strand-only state.
  LineFramer framer_;
  boost::asio::steady_timer resume_signal_;
  boost::asio::steady_timer watchdog_;
  std::unique_ptr<boost::asio::steady_timer> grace_timer_;  // only while closing after a last frame
  std::vector<Frame> batch_;                                // being written
  std::vector<boost::asio::const_buffer> buffers_;
  bool transport_open_ = false;
  bool cut_ = false;  // the close grace ran out: the close is abortive whatever the reason  // open() has succeeded: frames may be written
  bool reading_paused_ = false;
  bool reader_done_ = false;
  bool write_in_flight_ = false;
  bool output_ended_ = false;  // FIN sent after the final flush
  bool socket_closed_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point open_deadline_;  // until the transport is open
  std::chrono::steady_clock::time_point idle_deadline_;
  std::chrono::steady_clock::time_point login_deadline_;
  std::chrono::steady_clock::time_point line_deadline_;
  std::chrono::steady_clock::time_point watchdog_at_;  // what the watchdog is set for

  // Reader-only state.
  TokenBucket rate_;
  std::uint32_t rate_strikes_ = 0;

  // Outbound queue, shared with delivering threads.
  mutable std::mutex out_mutex_;
  std::vector<Frame> outbound_;
  std::size_t outbound_bytes_ = 0;
  bool writing_ = false;  // a write_next() is posted or a write is in flight
  bool flush_then_close_ = false;
  bool close_requested_ = false;  // close_after() was called: waiting for the replies owed
  Frame close_last_;              // the frame close_after() sends last
  std::function<void()> on_drained_;

  std::atomic<bool> closed_{false};
  std::atomic<bool> stop_reading_{false};
  std::atomic<std::uint32_t> reply_holds_{0};
  std::atomic<std::uint32_t> queued_requests_{0};
  std::atomic<bool> finishing_{false};
  std::atomic<std::uint8_t> reason_{0};
  std::atomic<bool> reason_set_{false};

  // Identity and tracked rooms.
  mutable std::mutex state_mutex_;
  std::optional<Identity> identity_;
  std::set<std::string> rooms_;
  bool departed_ = false;
};

}  // namespace chat
