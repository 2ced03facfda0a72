#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loadtest/client_connection.hpp"
#include "loadtest/member.hpp"
#include "loadtest/resp_reader.hpp"

namespace chat::loadtest {

// A member on Redis pub/sub (RESP2): the baseline the chat server is compared
// with, in the same role as MemberSession. Its room is a channel. It
// subscribes on one connection and is ready on the confirmation; the pushes
// of the channel are the room's messages. A sender also holds a second
// connection to publish on (a subscribed RESP2 connection may not PUBLISH),
// set up with a PING, and the integer reply to a PUBLISH is the send's
// acknowledgement. Redis names no sender and numbers nothing, so the message
// text carries both (append_stamped_text) and a member checks one stream per
// sender of its room, one RoomTracker each. With no room (idle runs) a member
// is ready on the reply to a PING; a churner subscribes, stays, unsubscribes.
class RedisMember final : public Member {
 public:
  RedisMember(RunContext& context, Listener& listener);
  RedisMember(const RedisMember&) = delete;
  RedisMember& operator=(const RedisMember&) = delete;

  void start(Setup setup) override;
  // Publishes one stamped message to the channel; ignored unless ready() and a sender.
  void send_message(std::uint64_t send_us) override;
  void leave() override;
  void ping() override;
  void close() noexcept override;

  bool ready() const noexcept override { return state_ == State::Ready; }
  bool closed() const noexcept override { return state_ == State::Closed; }
  bool setting_up() const noexcept override { return state_ == State::SettingUp; }
  std::size_t sends_in_flight() const noexcept override { return pending_.size(); }
  std::uint64_t setup_started_us() const noexcept override { return setup_started_us_; }
  // An error reply during setup ends the connection with a reason: "overloaded"
  // for Redis at maxclients, else the error's first word in lowercase.
  const std::string& end_reason() const noexcept override { return end_reason_; }
  std::span<const RoomTracker> trackers() const noexcept override { return trackers_; }
  unsigned first_stream() const noexcept override { return setup_.first_stream; }

 private:
  enum class State { Idle, SettingUp, Ready, Leaving, Closed };

  // One RESP connection of the member and the reader of its replies.
  class Link final : private ClientConnection::Handler {
   public:
    Link(RedisMember& owner, RunContext& context);
    void connect(RunContext& context);
    void write(std::string_view bytes) { connection_.send(bytes); }
    void close() noexcept;

    bool ready = false;  // subscribed, or answered the setup PING

   private:
    void on_connected() override;
    void on_bytes(std::string_view bytes, std::uint64_t arrived_us) override;
    void on_closed(const boost::system::error_code& error) override;

    RedisMember& owner_;
    ClientConnection connection_;
    RespReader reader_;
  };

  struct Pending {
    std::uint64_t seq;
    std::uint64_t send_us;
  };

  void on_connected(Link& link);
  void on_reply(Link& link, const RespReader::Reply& reply, std::uint64_t arrived_us);
  void on_subscriber_reply(const RespReader::Reply& reply, std::uint64_t arrived_us);
  void on_publisher_reply(const RespReader::Reply& reply, std::uint64_t arrived_us);
  void on_message(std::string_view channel, std::string_view payload, std::uint64_t arrived_us);
  void on_error_reply(std::string_view message);
  void on_link_lost(std::string_view reason);
  void check_ready();
  void fail_setup(std::string_view code);
  void write(Link& link, std::initializer_list<std::string_view> args);
  bool publishes() const noexcept { return setup_.sender_rank >= 0; }

  RunContext& context_;
  Listener& listener_;
  Link subscriber_;
  std::unique_ptr<Link> publisher_;  // made for senders only
  Setup setup_;
  State state_ = State::Idle;
  std::string end_reason_;
  std::vector<RoomTracker> trackers_;  // one per sender of the room
  std::deque<Pending> pending_;        // publishes awaiting their reply, in order
  std::uint64_t next_seq_ = 1;
  std::uint64_t setup_started_us_ = 0;
  std::string command_;  // every command is built here, and the text of every message below
  std::string text_;
};

}  // namespace chat::loadtest
