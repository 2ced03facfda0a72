#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "loadtest/message_sender.hpp"
#include "loadtest/room_tracker.hpp"
#include "loadtest/run_context.hpp"

namespace chat::loadtest {

// One simulated user, whatever the protocol it speaks: it sets itself up
// (connects, logs in or subscribes, joins its room), then receives its room's
// messages, checks them with one RoomTracker per stream it receives (see
// Topology), and sends when it is a sender and asked to. MemberSession speaks
// the chat protocol, RedisMember Redis pub/sub. Single-threaded: everything
// runs on the worker's io_context thread.
class Member : public MessageSender {
 public:
  class Listener {
   public:
    virtual void on_ready(Member& member) = 0;
    // The connection ended: during setup (was_ready false) or after it.
    virtual void on_closed(Member& member, bool was_ready) = 0;
    virtual void on_send_done(Member& /*member*/) {}
    virtual void on_left(Member& /*member*/) {}

   protected:
    ~Listener() = default;
  };

  struct Setup {
    std::string name;   // guest name (chat)
    std::string room;   // canonical name; empty: log in only
    int room_index = -1;
    bool track = true;
    int sender_rank = -1;        // its rank among the room's senders; -1: not a sender
    unsigned first_stream = 0;   // of the streams it receives (Topology::first_stream_of_room)
    unsigned streams = 1;        // how many (Topology::streams_per_room)
  };

  virtual ~Member() = default;

  virtual void start(Setup setup) = 0;
  virtual void leave() = 0;
  // Keeps an idle connection alive.
  virtual void ping() = 0;
  virtual void close() noexcept = 0;

  virtual bool closed() const noexcept = 0;
  virtual bool setting_up() const noexcept = 0;
  virtual std::size_t sends_in_flight() const noexcept = 0;
  virtual std::uint64_t setup_started_us() const noexcept = 0;
  // Why the connection ended: the error code of the server's refusal (e.g.
  // "overloaded" at its connection limit), else "closed" (the server closed
  // it), "refused" (TCP) or "io_error".
  virtual const std::string& end_reason() const noexcept = 0;
  // Trackers of the streams it receives, stream first_stream() + i; empty
  // when untracked or never set up.
  virtual std::span<const RoomTracker> trackers() const noexcept = 0;
  virtual unsigned first_stream() const noexcept = 0;
};

// A member speaking context.protocol.
std::unique_ptr<Member> make_member(RunContext& context, Member::Listener& listener);

}  // namespace chat::loadtest
