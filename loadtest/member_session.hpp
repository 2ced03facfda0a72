#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/line_framer.hpp"
#include "loadtest/client_connection.hpp"
#include "loadtest/line_fields.hpp"
#include "loadtest/member.hpp"
#include "loadtest/room_tracker.hpp"
#include "loadtest/run_context.hpp"

namespace chat::loadtest {

// A member speaking the chat protocol, on one connection: waits for hello,
// logs in as a guest, joins its room, then reads the room's messages and
// sends on request. Tracked sessions feed every msg event to their
// RoomTracker (the room's seq is the one stream they receive), and those from
// other members to the latency histogram; untracked ones (churners) only
// read them.
class MemberSession final : public Member, private ClientConnection::Handler {
 public:
  MemberSession(RunContext& context, Listener& listener);

  void start(Setup setup) override;
  // Sends one stamped message to the room; send_us is the stamp. Ignored
  // unless ready().
  void send_message(std::uint64_t send_us) override;
  void leave() override;
  void ping() override;
  void close() noexcept override;

  bool ready() const noexcept override { return state_ == State::Ready; }
  bool closed() const noexcept override { return state_ == State::Closed; }
  bool setting_up() const noexcept override {
    return state_ == State::Connecting || state_ == State::LoggingIn || state_ == State::Joining;
  }
  std::size_t sends_in_flight() const noexcept override { return sends_in_flight_; }
  std::uint64_t setup_started_us() const noexcept override { return setup_started_us_; }
  // The error code of an error event or reply ends a connection with that reason.
  const std::string& end_reason() const noexcept override { return end_reason_; }
  // The joined room's tracker; none when untracked or never joined.
  std::span<const RoomTracker> trackers() const noexcept override {
    return tracker_ ? std::span<const RoomTracker>(&*tracker_, 1) : std::span<const RoomTracker>();
  }
  unsigned first_stream() const noexcept override { return setup_.first_stream; }

 private:
  enum class State { Idle, Connecting, LoggingIn, Joining, Ready, Leaving, Closed };
  enum class Op { Guest, Join, Send, Leave, Ping };
  struct Pending {
    std::int64_t id;
    Op op;
    std::uint64_t send_us;
  };

  void on_connected() override;
  void on_bytes(std::string_view bytes, std::uint64_t arrived_us) override;
  void on_closed(const boost::system::error_code& error) override;

  void on_line(std::string_view line, std::uint64_t arrived_us);
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
  LineFramer framer_;
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
