#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "loadtest/client_connection.hpp"
#include "loadtest/line_fields.hpp"
#include "loadtest/message_sender.hpp"
#include "loadtest/room_tracker.hpp"
#include "loadtest/run_context.hpp"

namespace chat::loadtest {

// One simulated user on one connection: waits for hello, logs in as a guest,
// joins its room, then reads the room's messages and sends on request.
// Tracked sessions feed every msg event to their RoomTracker, and those from
// other members to the latency histogram; untracked ones (churners) only
// read them.
class MemberSession final : public MessageSender, private ClientConnection::Handler {
 public:
  class Listener {
   public:
    virtual void on_ready(MemberSession& session) = 0;
    // The connection ended: during setup (was_ready false) or after it.
    virtual void on_closed(MemberSession& session, bool was_ready) = 0;
    virtual void on_send_done(MemberSession& /*session*/) {}
    virtual void on_left(MemberSession& /*session*/) {}

   protected:
    ~Listener() = default;
  };

  struct Setup {
    std::string name;
    std::string room;   // canonical name; empty: log in only
    int room_index = -1;
    bool track = true;
  };

  MemberSession(RunContext& context, Listener& listener);

  void start(Setup setup);
  // Sends one stamped message to the room; send_us is the stamp. Ignored
  // unless ready().
  void send_message(std::uint64_t send_us) override;
  void leave();
  void ping();
  void close() noexcept;

  bool ready() const noexcept override { return state_ == State::Ready; }
  bool closed() const noexcept { return state_ == State::Closed; }
  bool setting_up() const noexcept {
    return state_ == State::Connecting || state_ == State::LoggingIn || state_ == State::Joining;
  }
  std::size_t sends_in_flight() const noexcept { return sends_in_flight_; }
  std::uint64_t setup_started_us() const noexcept { return setup_started_us_; }
  // Why the connection ended: the error code of the server's refusal (an
  // error event or reply, e.g. "overloaded" at its connection limit), else
  // "closed" (the server closed it), "refused" (TCP) or "io_error".
  const std::string& end_reason() const noexcept { return end_reason_; }
  // Tracker of the joined room; nullopt when untracked or never joined.
  const std::optional<RoomTracker>& tracker() const noexcept { return tracker_; }

 private:
  enum class State { Idle, Connecting, LoggingIn, Joining, Ready, Leaving, Closed };
  enum class Op { Guest, Join, Send, Leave, Ping };
  struct Pending {
    std::int64_t id;
    Op op;
    std::uint64_t send_us;
  };

  void on_connected() override;
  void on_line(std::string_view line, std::uint64_t arrived_us) override;
  void on_closed(const boost::system::error_code& error) override;

  void on_message(const LineFields& fields, std::uint64_t arrived_us);
  void on_reply(const LineFields& fields, bool ok, std::uint64_t arrived_us);
  void on_send_reply(const LineFields& fields, bool ok, std::uint64_t send_us, std::uint64_t arrived_us);
  void request(Op op, nlohmann::json request, std::uint64_t send_us = 0);
  std::optional<Pending> take_pending(std::optional<std::int64_t> id);
  void send_guest();
  void fail_setup(std::string_view code);

  RunContext& context_;
  Listener& listener_;
  ClientConnection connection_;
  Setup setup_;
  std::string user_;  // logged in as
  std::string end_reason_;
  State state_ = State::Idle;
  std::deque<Pending> pending_;
  std::size_t sends_in_flight_ = 0;
  std::int64_t next_id_ = 1;
  std::uint64_t setup_started_us_ = 0;
  std::optional<RoomTracker> tracker_;
};

}  // namespace chat::loadtest
